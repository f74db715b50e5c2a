"""`codex-router route` end to end in a fresh process, with the real RouterState, FeatureExtractor (this is
the one hooks test that loads the embedding model) and PriceBook, against the fake `codex`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hooks_helpers import FAKE_CODEX_DIR, read_log, run_cli

from analytics.schema import normalize


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{FAKE_CODEX_DIR}{os.pathsep}{os.environ['PATH']}",
            "FAKE_CODEX_ARGV_FILE": str(tmp_path / "argv.json"), "HF_HUB_OFFLINE": "1"}


def test_route_runs_codex_verifies_logs_and_learns(tmp_path: Path, repo: Path, env) -> None:
    pytest.importorskip("router.state", reason="router/state.py (RouterState) has not landed yet")
    log = tmp_path / "log.jsonl"
    task = "-n implement add(a, b) in solution.py; don't touch $(HOME) or \"quotes\""
    done = run_cli("route", "--cd", str(repo), "--log", str(log), "--json", "--", task, env=env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert result["status"] == "ok" and result["events"] == ["route", "outcome"]
    assert json.loads((tmp_path / "argv.json").read_text())["argv"][-1] == task
    assert b"[codex] files:" in done.stderr
    assert b"Loading weights" not in done.stderr and b"it/s]" not in done.stderr  # no progress bars
    events = read_log(log)
    for event in events:
        normalize(event)
    assert events[1]["verifier"]["signals"]["tests"] == 1.0 and events[1]["tokens"]["input"] == 2400
    saved = (Path(os.environ["CODEX_ROUTER_CONFIG_DIR"]) / "router.toml").read_text()
    assert f'model = "{result["model"]}"' in saved  # the outcome reached the priors on disk


def test_broken_router_state_is_a_clear_error_before_codex_runs(tmp_path: Path, repo: Path, env) -> None:
    pytest.importorskip("router.state", reason="router/state.py (RouterState) has not landed yet")
    state = Path(os.environ["CODEX_ROUTER_CONFIG_DIR"]) / "router.toml"
    state.write_text("models = [\n")
    done = run_cli("route", "--cd", str(repo), "--log", str(tmp_path / "log.jsonl"), "task", env=env)
    assert done.returncode == 1 and b"router.toml" in done.stderr
    assert not (tmp_path / "argv.json").exists() and not (tmp_path / "log.jsonl").exists()


def test_route_usage_errors_exit_2(tmp_path: Path, env) -> None:
    done = run_cli("route", "--cd", str(tmp_path / "missing"), "task", env=env)
    assert done.returncode == 2 and b"not a directory" in done.stderr
    done = run_cli("route", "   ", env=env)
    assert done.returncode == 2 and b"TASK is empty" in done.stderr
