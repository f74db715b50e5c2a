"""The CLI as a user meets it: --version, one exit code for a missing log, a bad flag answered with that
subcommand's usage, an unknown --model named with the choices, malformed lines named by file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooks.cli import main, package_version


def exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(argv))
    return int(exc.value.code)


@pytest.fixture
def log_with_bad_lines(tmp_path: Path) -> Path:
    log = tmp_path / "routing_log.jsonl"
    good = json.dumps({"v": 1, "ts": "2026-11-01T09:00:00Z", "event": "outcome", "task_id": "t1", "model": "glm-5",
                       "score": 1.0, "cost_usd": 0.01})
    bad = ["not json", '{"v": 1, "ts": "2026-11-01T09:00:00Z", "event": "outcome", "score": 7}', "{", "[]"]
    log.write_text("\n".join([good, *bad, good]) + "\n", encoding="utf-8")
    return log


def test_version_on_both_console_scripts(capsys) -> None:
    from tui.cli import main as tui_main

    assert package_version() == "0.1.0"  # pyproject.toml's, read from the installed metadata
    assert exit_code(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "codex-router 0.1.0"
    with pytest.raises(SystemExit) as exc:
        tui_main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == "codex-router-tui 0.1.0"


@pytest.mark.parametrize("command", [["report"], ["report", "daily"], ["whatif"]])
def test_a_missing_log_exits_2_everywhere(capsys, tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nope.jsonl"
    assert exit_code([*command, "--log", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "whatif", "route", "bench", "install"])
def test_a_bad_flag_prints_that_subcommands_usage(capsys, command: str) -> None:
    assert exit_code([command, "--bogus-flag", *(["task"] if command == "route" else [])]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: codex-router {command} ")
    assert "unrecognized arguments: --bogus-flag" in err


def test_route_with_an_unknown_model_lists_the_models(capsys, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    assert exit_code(["route", "--dry-run", "--model", "qwen3-max", "--log", str(log), "fix the bug"]) == 2
    err = capsys.readouterr().err
    assert "--model qwen3-max: not a routed model. Did you mean Qwen3-Max?" in err
    assert "claude-opus-4-6" in err and "gpt-5.4" in err and "router.toml" in err
    assert not log.exists()  # nothing logged for a route that never was


def test_malformed_lines_are_named_by_file_and_line(capsys, log_with_bad_lines: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "r.duckdb")
    assert main(["report", "--log", str(log_with_bad_lines), "--db", db]) == 0
    out = capsys.readouterr().out
    assert (f"4 malformed log line(s) skipped: {log_with_bad_lines}:2 (not JSON" in out
            and f"{log_with_bad_lines}:3 (score" in out and "and 1 more" in out)
    assert main(["report", "--log", str(log_with_bad_lines), "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["malformed_note"].startswith("4 malformed log line(s) skipped: ")
    assert main(["whatif", "--log", str(log_with_bad_lines), "--db", db, "--bootstrap", "10"]) == 0
    assert f"4 malformed log line(s) skipped: {log_with_bad_lines}:2" in capsys.readouterr().out
