"""`codex-router hook ...`: payloads as the real Codex sends them (fixtures written by
tests/capture_codex_fixtures.py from a Codex 0.169 run) become tool / turn events; bad input never fails Codex
(exit 0, nothing on stdout) and lands in the error log instead."""

from __future__ import annotations

import json
import time

import pytest
from hooks_helpers import FIXTURES, read_log, run_cli

from analytics.paths import error_log_path
from analytics.schema import normalize
from hooks.hook_command import handle


def test_post_tool_use_bash_as_codex_sends_it(payload) -> None:
    raw = payload("post_tool_use_bash.json")
    record = handle("post-tool-use", json.dumps(raw))
    assert record["event"] == "tool" and record["tool"] == "Bash"
    assert record["command"] == raw["tool_input"]["command"] == "pytest -q || echo 'tests failed'"
    assert record["output_chars"] == len(raw["tool_response"])
    assert "exit_code" not in record and "duration_ms" not in record  # Codex sends neither; none is guessed
    assert record["session_id"] == raw["session_id"] and record["turn_id"] == raw["turn_id"]
    assert record["model"] == "gpt-5.4" and record["cwd"] == "/home/user/project"
    assert record["permission_mode"] == raw["permission_mode"]
    normalize({**record, "v": 1, "ts": "2026-11-29T10:00:00Z"})


def test_post_tool_use_command_is_redacted_and_a_structured_exit_code_kept(payload) -> None:
    raw = payload("post_tool_use_bash.json")
    raw["tool_input"] = {"command": "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz' x"}
    raw["tool_response"] = {"output": "", "metadata": {"exit_code": 7}}
    record = handle("post-tool-use", json.dumps(raw))
    assert "abcdefghijklmnop" not in record["command"] and record["exit_code"] == 7


def test_stop_redacts_the_last_message(payload) -> None:
    record = handle("stop", json.dumps(payload("stop.json")))
    assert record["event"] == "turn" and record["turn_id"] == payload("stop.json")["turn_id"]
    assert "sk-proj" not in record["last_message"] and "[REDACTED]" in record["last_message"]


def test_notify_legacy_argument(payload) -> None:
    raw = payload("notify.json")
    record = handle("notify", json.dumps(raw))
    assert record["event"] == "turn" and record["source"] == "notify"
    assert record["session_id"] == raw["thread-id"] and record["turn_id"] == raw["turn-id"]
    assert record["task"] == raw["input-messages"][0] and "[REDACTED]" in record["last_message"]
    assert handle("notify", json.dumps({"type": "something-else"})) is None


@pytest.mark.parametrize("raw", ["", "   ", "not json", "[1, 2]", "{\"a\": "])
def test_garbage_is_a_value_error(raw: str) -> None:
    with pytest.raises(ValueError):
        handle("stop", raw)


def test_cli_hook_appends_and_stays_silent(tmp_path) -> None:
    log = tmp_path / "log.jsonl"
    done = run_cli("hook", "post-tool-use", "--log", str(log),
                   stdin=(FIXTURES / "post_tool_use_bash.json").read_bytes())
    assert done.returncode == 0 and done.stdout == b""
    events = read_log(log)
    assert [e["event"] for e in events] == ["tool"] and events[0]["v"] == 1


@pytest.mark.parametrize("stdin", [b"", b"\xff\xfe garbage", b"{" * 1000, b"x" * (10 * 1024 * 1024)],
                         ids=["empty", "binary", "unclosed", "10MB"])
def test_cli_hook_survives_any_input_quickly(tmp_path, stdin: bytes) -> None:
    log = tmp_path / "log.jsonl"
    started = time.monotonic()
    done = run_cli("hook", "stop", "--log", str(log), stdin=stdin)
    elapsed = time.monotonic() - started
    assert done.returncode == 0 and done.stdout == b""
    assert not log.exists()
    assert "hook stop:" in error_log_path(log).read_text(encoding="utf-8")
    assert elapsed < 5, elapsed  # generous for a loaded CI box; the real budget is benchmarks/bench_hook.py


@pytest.mark.parametrize("options_first", [True, False], ids=["options-then-json", "json-then-options"])
def test_cli_notify_takes_the_json_argument(tmp_path, options_first: bool) -> None:
    """Codex appends the JSON after whatever the notify entry lists, so options come first in practice."""
    log = tmp_path / "log.jsonl"
    raw = (FIXTURES / "notify.json").read_text()
    args = ("--log", str(log), raw) if options_first else (raw, "--log", str(log))
    done = run_cli("hook", "notify", *args, stdin=None)
    assert done.returncode == 0 and done.stdout == b"", done.stderr
    assert read_log(log)[0]["turn_id"] == json.loads(raw)["turn-id"]


def test_unwritable_log_goes_to_error_log(tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    done = run_cli("hook", "stop", "--log", str(blocker / "log.jsonl"),
                   stdin=(FIXTURES / "stop.json").read_bytes())
    assert done.returncode == 0 and done.stdout == b""


def test_payload_without_eof_is_still_logged_within_the_deadline(tmp_path) -> None:
    import subprocess
    import sys

    from hooks_helpers import ROOT

    log = tmp_path / "log.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "hooks.cli", "hook", "stop", "--log", str(log)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write((FIXTURES / "stop.json").read_bytes())
    proc.stdin.flush()  # stdin stays open, as a stuck writer would leave it
    started = time.monotonic()
    out = proc.stdout.read()
    proc.wait(timeout=30)
    proc.stdin.close()
    assert proc.returncode == 0 and out == b"" and time.monotonic() - started < 5
    assert read_log(log)[0]["event"] == "turn"
