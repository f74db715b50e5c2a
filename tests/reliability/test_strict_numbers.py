"""NaN, infinities, a negative cost and a propensity above 1 (issue 14 item 7): such a line is malformed on
both ingest paths (counted, with file and line), our writer never writes one, and JSON output stays strict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reliability_helpers import event, line, run_hook

from analytics.ingest import LogIngester
from analytics.logwriter import append_event
from analytics.schema import SchemaError
from analytics.store import Store
from hooks.cli import main

BASE = '{"v":1,"ts":"2026-11-29T12:00:00Z","event":"outcome","task_id":"t","model":"gpt-5.4","score":1'
BAD = {
    "cost NaN": BASE + ',"cost_usd":NaN}',
    "cost Infinity": BASE + ',"cost_usd":Infinity}',
    "cost -Infinity": BASE + ',"cost_usd":-Infinity}',
    "cost 1e400": BASE + ',"cost_usd":1e400}',
    "cost negative": BASE + ',"cost_usd":-0.5}',
    "latency NaN": BASE + ',"latency_ms":NaN}',
    "latency negative": BASE + ',"latency_ms":-3}',
    "propensity above 1": BASE + ',"propensity":1.5}',
    "propensity negative": BASE + ',"propensity":-0.1}',
    "propensity Infinity": BASE + ',"propensity":Infinity}',
    "difficulty NaN": BASE + ',"difficulty":NaN}',
    "nested NaN": BASE + ',"verifier":{"tests":NaN}}',
    "nested -Infinity": BASE + ',"decision":{"candidates":[{"model":"m","exp_score":-Infinity}]}}',
    "nested lowercase nan": BASE + ',"verifier":{"x":[1, nan]}}',
    "nested mixed-case inf": BASE + ',"tool_input":{"limit":  -InF}}',
}


def strict_loads(text: str):
    def refuse(name: str):
        raise AssertionError(f"JSON output holds {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("small_batch", [0, 5000], ids=["bulk-sql", "python"])
def test_non_finite_and_out_of_range_numbers_are_malformed_lines(tmp_path: Path, small_batch: int) -> None:
    log = tmp_path / "log.jsonl"
    good = line(0).decode()
    log.write_text(good + "".join(text + "\n" + good for text in BAD.values()))
    with Store(tmp_path / "db.duckdb") as store:
        result = LogIngester(store, [log], small_batch=small_batch).poll()
        bad = store.execute("SELECT file, line, error FROM malformed ORDER BY line").fetchall()
        stored = store.execute("SELECT count(*), count(cost_usd), count(propensity) FROM events").fetchall()[0]
    assert (result.new_events, result.new_malformed) == (len(BAD) + 1, len(BAD))
    assert [row[1] for row in bad] == [2 * i for i in range(1, len(BAD) + 1)]
    assert all(row[0] == str(log) and row[2] for row in bad)
    assert stored == (len(BAD) + 1, 0, 0)


def test_report_json_is_strict_and_totals_finite(tmp_path: Path, capsys) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(text + "\n" for text in BAD.values()) + BASE + ',"cost_usd":0.25}\n')
    assert main(["report", "--log", str(log), "--db", str(tmp_path / "r.duckdb"), "--json"]) == 0
    out = strict_loads(capsys.readouterr().out)
    assert out["malformed"] == len(BAD)
    assert out["totals"]["cost_usd"] == pytest.approx(0.25)


@pytest.mark.parametrize("record", [
    event(1, cost_usd=float("inf")), event(2, cost_usd=float("nan")), event(3, propensity=1.5),
    event(4, cost_usd=-1.0), event(5, latency_ms=float("-inf")), event(6, verifier={"x": float("nan")}),
], ids=["cost inf", "cost nan", "propensity 1.5", "cost negative", "latency -inf", "nested nan"])
def test_the_writer_refuses_what_a_reader_would_call_malformed(tmp_path: Path, record: dict) -> None:
    log = tmp_path / "log.jsonl"
    append_event(log, event(0))
    before = log.read_bytes()
    with pytest.raises(SchemaError):
        append_event(log, record)
    assert log.read_bytes() == before


def test_the_hook_never_writes_infinity(tmp_path: Path) -> None:
    """A PostToolUse payload whose duration is infinite still logs the tool call, without the number."""
    log = tmp_path / "routing_log.jsonl"
    payload = ('{"session_id":"s","turn_id":"t1","hook_event_name":"PostToolUse","model":"gpt-5.4",'
               '"tool_name":"shell","tool_input":{"command":"ls"},"tool_response":{"duration_ms":Infinity}}')
    assert run_hook("post-tool-use", log, payload.encode()).returncode == 0
    text = log.read_text()
    assert "Infinity" not in text
    record = strict_loads(text.splitlines()[-1])
    assert record["event"] == "tool" and "duration_ms" not in record
