"""The route loop against the fake `codex`: decision -> route event -> codex exec (argv verbatim) -> stream ->
verify -> outcome event -> router update; failures (failed turn, dead stream, timeout, cancel, no codex)
each end in one clear outcome event."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from hooks_helpers import read_log, run_cli

from analytics.schema import normalize
from hooks.codex_exec import StreamState
from hooks.launcher import RouteLauncher
from hooks.settings import HooksSettings


class Prices:
    """A fixed price book (USD per million tokens) so cost assertions do not depend on price data."""

    def cost(self, model, input=0, cached_input=0, output=0, reasoning=0, cache_write=0):
        if model == "unpriced-model":
            return None
        return ((input - cached_input - cache_write) * 1.0 + cached_input * 0.1 + cache_write * 1.25
                + output * 10.0) / 1_000_000


@pytest.fixture
def launcher(tmp_path, router_state, extractor):
    def make(**settings):
        return RouteLauncher(tmp_path / "log.jsonl", settings=HooksSettings(**settings), state=router_state,
                             extractor=extractor, price_book=Prices())
    return make


TRICKY_TASKS = ["-n add a function add(a, b) to solution.py", "--help", "-",
                "fix \"quotes\" and 'single' and $(rm -rf ~) `ls` ; echo hi\nsecond line\ttab"]


@pytest.mark.parametrize("task", TRICKY_TASKS, ids=["leading-dash", "flag-like", "lone-dash", "shell-chars"])
def test_task_reaches_codex_verbatim(task, fake_codex: Path, repo: Path, launcher) -> None:
    result = launcher().run(task, cwd=repo, model="gpt-5.4")
    assert result.status == "ok", result.message
    recorded = json.loads(fake_codex.read_text())
    argv = recorded["argv"]
    assert argv[:2] == ["exec", "--json"] and argv[argv.index("-m") + 1] == "gpt-5.4"
    assert argv[argv.index("-C") + 1] == str(repo) and argv[argv.index("-s") + 1] == "workspace-write"
    assert argv[-2] == "--"
    if task == "-":
        assert recorded["stdin"] == "-"
    else:
        assert argv[-1] == task


def test_full_loop_logs_route_and_outcome_and_learns(fake_codex: Path, repo: Path, launcher, router_state) -> None:
    progress: list[tuple[str, str]] = []
    result = launcher().run("implement add(a, b) in solution.py with tests", cwd=repo,
                            on_progress=lambda kind, msg: progress.append((kind, msg)))
    assert result.status == "ok" and result.exit_code == 0
    events = read_log(result_log(launcher))
    assert [e["event"] for e in events] == ["route", "outcome"]
    route, outcome = events
    for event in events:
        normalize(event)
    assert route["router"] == "acrouter" and 0 < route["propensity"] <= 1
    assert route["decision"]["candidates"] and route["model"] == result.model
    assert outcome["task_id"] == route["task_id"] and outcome["status"] == "ok"
    assert outcome["tokens"] == {"input": 2400, "cached_input": 0, "output": 300, "reasoning": 0, "cache_write": 0}
    assert outcome["cost_usd"] == pytest.approx((2400 * 1.0 + 300 * 10.0) / 1e6)
    assert outcome["verifier"]["signals"]["tests"] == 1.0 and outcome["verifier"]["signals"]["ast"] == 1.0
    assert outcome["score"] == pytest.approx(1.0)
    assert outcome["session_id"] and outcome["latency_ms"] >= 0
    assert any(kind == "codex" and msg.startswith("files:") for kind, msg in progress)
    assert any(kind == "codex" and msg.startswith("$ ls") for kind, msg in progress)
    assert router_state.state_path.exists()
    assert router_state.router().priors.cell((), result.model).n == 10  # 9 prior rows + this outcome
    saved = type(router_state).load(router_state.config_dir, router_state.data_dir)
    assert saved.priors.cell((), result.model).n == 10 and len(saved.memory) == len(router_state.memory)


def result_log(launcher_factory) -> Path:
    return launcher_factory().log_path


def test_manual_override_is_logged_as_one(fake_codex: Path, repo: Path, launcher) -> None:
    result = launcher().run("refactor solution.py", cwd=repo, model="glm-5", dry_run=True)
    events = read_log(result_log(launcher))
    assert [e["event"] for e in events] == ["override", "route"]
    override, route = events
    assert override["model"] == "glm-5" and override["proposed_model"] == result.proposed_model
    assert override["router"] == "manual" and route["router"] == "manual" and route["propensity"] == 1.0
    assert result.status == "dry_run" and not fake_codex.exists()


def test_usage_is_cumulative_not_summed(fake_codex: Path, repo: Path, launcher, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_SCENARIO", "usage")
    result = launcher().run("add a helper", cwd=repo, model="gpt-5.4")
    assert result.tokens == {"input": 3000, "cached_input": 1200, "output": 500, "reasoning": 120,
                             "cache_write": 300}
    assert result.cost_usd == pytest.approx((1500 * 1.0 + 1200 * 0.1 + 300 * 1.25 + 500 * 10.0) / 1e6)


@pytest.mark.parametrize("scenario, status, learns", [("turn_failed", "turn_failed", True),
                                                      ("dies", "error", False), ("error", "error", False)])
def test_failures_end_in_one_outcome(scenario, status, learns, fake_codex, repo, launcher, router_state,
                                     monkeypatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_SCENARIO", scenario)
    result = launcher().run("fix the bug", cwd=repo, model="gpt-5.4")
    assert result.status == status and result.exit_code != 0
    outcome = read_log(result_log(launcher))[-1]
    assert outcome["event"] == "outcome" and outcome["status"] == status
    assert (outcome["score"] == 0.0) if learns else ("score" not in outcome or outcome["score"] is None)
    assert router_state.state_path.exists() == learns
    if scenario == "turn_failed":
        assert "model overloaded" in result.message


def test_timeout_and_cancel_stop_codex(fake_codex, repo, launcher, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_SCENARIO", "slow")
    timed = launcher().run("slow task", cwd=repo, model="gpt-5.4", timeout_s=1.0)
    assert timed.status == "timeout" and timed.exit_code == 124
    cancel = threading.Event()
    result = launcher().run("slow task", cwd=repo, model="gpt-5.4", cancel=cancel,
                            on_progress=lambda kind, msg: cancel.set() if kind == "codex" else None)
    assert result.status == "interrupted" and result.exit_code == 130
    assert read_log(result_log(launcher))[-1]["status"] == "interrupted"


def test_codex_missing(no_codex, repo, launcher) -> None:
    result = launcher().run("anything", cwd=repo)
    assert result.status == "codex_missing" and result.exit_code == 127 and "CODEX_BIN" in result.message
    assert read_log(result_log(launcher))[-1]["status"] == "codex_missing"


def test_secrets_are_redacted_from_the_logged_task(fake_codex, repo, launcher) -> None:
    launcher().run("use key sk-proj-abcdefghijklmnopqrstuvwxyz123456 " + "x" * 5000, cwd=repo, dry_run=True)
    route = read_log(result_log(launcher))[-1]
    assert "sk-proj" not in route["task"] and "[REDACTED]" in route["task"] and len(route["task"]) < 2100


def test_interactive_route_is_verified_from_stop_hook_and_rollout(fake_codex, repo, launcher) -> None:
    home = Path(os.environ["CODEX_HOME"])
    log = result_log(launcher)
    assert run_cli("install", "--codex-home", str(home), "--log", str(log)).returncode == 0
    result = launcher().run("implement add", cwd=repo, interactive=True)
    assert result.status == "ok", result.message
    events = read_log(log)
    assert [e["event"] for e in events] == ["route", "turn", "outcome"]
    assert events[1]["task_id"] == result.task_id
    assert result.tokens == {"input": 5000, "cached_input": 1000, "output": 700, "reasoning": 100}
    assert events[2]["session_id"] == events[1]["session_id"] and events[2]["verifier"]["signals"]["tests"] == 1.0


def test_real_exec_stream_parses() -> None:
    """The --json stream of a real Codex 0.169 run (tests/capture_codex_fixtures.py)."""
    from hooks_helpers import FIXTURES

    state = StreamState()
    for line in (FIXTURES / "exec_events.jsonl").read_text(encoding="utf-8").splitlines():
        state.feed(line)
    assert state.completed and state.malformed == 0 and state.commands == 1 and not state.errors
    assert state.usage == {"input": 2400, "cached_input": 400, "output": 160, "reasoning": 32, "cache_write": 600}
    assert len(state.warnings) == 3 and state.last_message.startswith("Fixed the bug")


@pytest.mark.parametrize("fixture, cause", [
    ("exec_dotted_profile.stderr", "invalid --profile value `gpt-5.4`; pass a plain name"),
    ("exec_legacy_selector.stderr", 'legacy `profile = "glm-5"` config is no longer supported')])
def test_a_refused_exec_shows_codex_real_error(fixture, cause, fake_codex, repo, launcher, monkeypatch) -> None:
    from hooks_helpers import FIXTURES

    monkeypatch.setenv("FAKE_CODEX_SCENARIO", "refused")
    monkeypatch.setenv("FAKE_CODEX_STDERR_FILE", str(FIXTURES / fixture))
    result = launcher().run("fix the bug", cwd=repo, model="gpt-5.4")
    assert result.status == "error" and result.exit_code == 2
    assert cause in result.message and "--help" not in result.message and "<unknown>" not in result.message


def test_a_task_too_big_for_argv_goes_through_stdin(fake_codex, repo, launcher) -> None:
    task = "implement the spec below\n" + "é" * (100 * 1024)  # 200 KiB in UTF-8: over the 128 KiB argv limit
    result = launcher().run(task, cwd=repo, model="gpt-5.4")
    assert result.status == "ok", result.message
    recorded = json.loads(fake_codex.read_text())
    assert recorded["argv"][-2:] == ["--", "-"] and recorded["stdin"] == task


def test_stream_state_ignores_garbage_lines() -> None:
    state = StreamState()
    assert state.feed("not json") is None and state.feed("[1]") is None and state.malformed == 2
    state.feed(json.dumps({"type": "turn.failed", "error": {"message": "boom"}}))
    assert state.failure == "boom"


def test_proposal_is_reused_and_not_logged(fake_codex, repo, launcher) -> None:
    runner = launcher()
    proposal = runner.propose("write tests for solution.py", cwd=repo)
    assert not runner.log_path.exists()
    result = runner.run("write tests for solution.py", cwd=repo, proposal=proposal, dry_run=True)
    assert result.decision is proposal.decision and result.model == proposal.decision.chosen


def test_stop_hook_ignores_markers_of_dead_routes(repo, tmp_path) -> None:
    from hooks.hook_command import handle, pending_dir

    folder = pending_dir()
    folder.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"session_id": "s", "turn_id": "t", "cwd": str(repo)})
    (folder / "r-dead.json").write_text(json.dumps({"task_id": "r-dead", "cwd": str(repo), "pid": 2 ** 22 + 7}))
    assert "task_id" not in handle("stop", payload)
    (folder / "r-live.json").write_text(json.dumps({"task_id": "r-live", "cwd": str(repo), "pid": os.getpid()}))
    assert handle("stop", payload)["task_id"] == "r-live"


def test_ctrl_c_stops_codex_and_logs_interrupted(fake_codex, repo, launcher, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_SCENARIO", "slow")

    def interrupt(kind: str, message: str) -> None:
        if kind == "codex":
            raise KeyboardInterrupt

    result = launcher().run("slow task", cwd=repo, model="gpt-5.4", on_progress=interrupt)
    assert result.status == "interrupted" and result.exit_code == 130
    assert read_log(result_log(launcher))[-1]["status"] == "interrupted"


def test_broken_code_scores_low(fake_codex, repo, launcher, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_SCENARIO", "broken")
    result = launcher().run("implement add", cwd=repo, model="gpt-5.4")
    assert result.status == "ok"
    outcome = read_log(result_log(launcher))[-1]
    assert outcome["verifier"]["signals"]["ast"] == 0.0 and outcome["score"] < 0.6
    assert outcome["verifier"]["ast"]["errors"][0]["file"] == "solution.py"


def test_an_interactive_task_too_big_for_argv_is_a_clear_error(fake_codex, repo, launcher) -> None:
    result = launcher().run("x" * (200 * 1024), cwd=repo, model="gpt-5.4", interactive=True)
    assert result.status == "error" and "cannot start the Codex TUI" in result.message
    assert read_log(result_log(launcher))[-1]["status"] == "error"
