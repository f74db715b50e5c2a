"""Schema v1: the JSON Schema file, normalize() and the one writer agree."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from routing_fixtures import FIXTURE_LINES

from analytics.logwriter import append_event
from analytics.schema import EVENT_KINDS, SchemaError, json_schema, normalize

VALID = [
    {"v": 1, "ts": "2026-11-01T09:00:00Z", "event": "route", "task_id": "t", "decision": {"candidates": []}},
    {"v": 1, "ts": "2026-11-01T09:00:00+02:00", "event": "outcome", "score": 0.5, "tokens": {"input": 3}},
    {"ts": "2026-11-01", "event": "turn", "future_key": [1, 2]},
    {"v": 2, "ts": "2026-11-01T09:00:00Z", "event": "session", "difficulty": 3},
    {"timestamp": "2026-11-01T09:00:00", "model": "glm-5", "tool": "shell", "exit_code": 0, "task_hint": "x"},
]
INVALID = [
    ({"v": 1, "ts": "2026-11-01T09:00:00Z", "event": "launch"}, "event"),
    ({"v": 1, "event": "route"}, "ts"),
    ({"v": 1, "ts": "yesterday", "event": "route"}, "ts"),
    ({"v": 1, "ts": "2026-11-01", "event": "outcome", "score": 1.5}, "score"),
    ({"v": 1, "ts": "2026-11-01", "event": "route", "task_id": 7}, "task_id"),
    ({"v": 0, "ts": "2026-11-01", "event": "route"}, "v"),
    ({"v": 1, "ts": "2026-11-01", "event": "outcome", "tokens": {"input": -1}}, "tokens.input"),
    ({"v": 1, "ts": "2026-11-01", "event": "outcome", "decision": "chose glm"}, "decision"),
]


def test_schema_file_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert json_schema()["$defs"]["event"]["properties"]["event"]["enum"] == list(EVENT_KINDS)


@pytest.mark.parametrize("record", VALID)
def test_valid_records_pass_both_checks(record: dict) -> None:
    jsonschema.validate(record, json_schema())
    normalize(record)


@pytest.mark.parametrize(("record", "field"), INVALID)
def test_invalid_records_fail_both_checks_naming_the_field(record: dict, field: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, json_schema())
    with pytest.raises(SchemaError, match=rf"^{field}"):
        normalize(record)


def test_seed_record_is_a_tool_event_and_unknown_keys_survive() -> None:
    record = normalize({"timestamp": "2026-11-01T09:00:00", "model": "m", "tool": "shell", "exit_code": 0,
                        "task_hint": "fix it", "extra": 1})
    assert (record["event"], record["ts"], record["task"], record["extra"]) == ("tool", "2026-11-01T09:00:00",
                                                                                 "fix it", 1)


def test_fixture_lines_that_normalize_also_validate() -> None:
    for text in FIXTURE_LINES:
        try:
            record = json.loads(text)
            normalize(record)
        except (ValueError, SchemaError):
            continue
        jsonschema.validate(record, json_schema())


def test_append_event_writes_one_line_with_mode_0600(tmp_path: Path) -> None:
    log = tmp_path / "sub" / "routing_log.jsonl"
    written = append_event(log, {"event": "turn", "session_id": "s"})
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert json.loads(log.read_text()) == written and written["v"] == 1
    with pytest.raises(SchemaError):
        append_event(log, {"event": "nope"})
    assert len(log.read_text().splitlines()) == 1


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    log = tmp_path / "routing_log.jsonl"
    code = ("import sys; from analytics.logwriter import append_event\n"
            "for i in range(200): append_event(sys.argv[1], {'event': 'tool', 'task': sys.argv[2] * 5000, 'i': i})")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(log), letter]) for letter in "abcd"]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    lines = log.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 801
    for raw in lines[:-1]:
        record = json.loads(raw)
        assert record["task"] == record["task"][0] * 5000
