"""The launcher, profiles and hooks against the real Codex CLI (npm `@openai/codex`, each tested version) talking
to a mock Responses API on 127.0.0.1. Skipped, with the reason, where npm or the registry cannot be reached."""

from __future__ import annotations

import json
import os
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from codex_home import app_server_hooks, codex_env, events, run_cli, run_exec, write_config
from mock_responses import REPLY, USAGE

from hooks.codex_exec import StreamState, codex_error
from hooks.codex_session import session_usage

pytestmark = pytest.mark.timeout(240)
PER_REQUEST = {"input": USAGE["input_tokens"], "cached_input": USAGE["input_tokens_details"]["cached_tokens"],
               "output": USAGE["output_tokens"], "reasoning": USAGE["output_tokens_details"]["reasoning_tokens"],
               "cache_write": USAGE["input_tokens_details"]["cache_write_tokens"]}
PRICES = '[models."gpt-5.4"]\ninput_per_mtok = 2.0\ncached_input_per_mtok = 0.5\noutput_per_mtok = 10.0\n'


def _home() -> Path:
    return Path(os.environ["CODEX_HOME"])


def _read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_exec_json_events_usage_and_rollout_cost_in_report(codex_bin, mock_api, workdir, tmp_path) -> None:
    home = _home()
    write_config(home, mock_api.base_url)
    done = run_exec(codex_bin, home, workdir, "RUN: echo integration-ok")
    assert done.returncode == 0, done.stderr[-2000:]
    state = StreamState()
    for line in done.stdout.splitlines():
        state.feed(line)
    # two requests (the shell call, then the reply after its output); usage is the thread's running total
    assert state.malformed == 0 and state.completed and state.failure is None and state.thread_id
    assert state.usage == {key: 2 * value for key, value in PER_REQUEST.items()}
    assert state.commands == 1 and state.last_message == REPLY
    bodies = mock_api.responses_requests()
    assert [b["model"] for b in bodies] == ["gpt-5.4", "gpt-5.4"]
    outputs = [i for i in bodies[1]["input"] if i.get("type") == "function_call_output"]
    assert outputs and "integration-ok" in json.dumps(outputs)
    # the rollout Codex wrote: its tokens, and the cost `report` derives from them
    tokens, model = session_usage(home, state.thread_id)
    assert model == "gpt-5.4"
    assert tokens == {key: state.usage[key] for key in ("input", "cached_input", "output", "reasoning")}
    config = Path(os.environ["CODEX_ROUTER_CONFIG_DIR"])
    (config / "prices.toml").write_text(PRICES, encoding="utf-8")
    (tmp_path / "empty.jsonl").touch()  # no routed runs: the spend is the Codex session's alone
    report = run_cli("report", "--json", "--codex-home", str(home), "--log", str(tmp_path / "empty.jsonl"),
                     "--db", str(tmp_path / "r.duckdb"), env=codex_env(home, codex_bin))
    assert report.returncode == 0, report.stderr
    totals = json.loads(report.stdout)["totals"]
    hand = ((2400 - 400) * 2.0 + 400 * 0.5 + 160 * 10.0) / 1e6  # 0.0058 USD
    assert totals["codex_sessions"] == 1 and totals["codex_cost_usd"] == pytest.approx(hand, abs=1e-12)


def test_install_trust_is_what_codex_computes_and_hooks_then_log(codex_bin, mock_api, workdir, tmp_path) -> None:
    home, log = _home(), tmp_path / "routing_log.jsonl"
    write_config(home, mock_api.base_url)
    env = codex_env(home, codex_bin)
    before = {h["key"]: h for h in app_server_hooks(codex_bin, home, workdir)}
    assert not before
    done = run_cli("install", "--trust", "--log", str(log), env=env)
    assert done.returncode == 0, done.stderr
    trusted = tomllib.loads((home / "config.toml").read_text())["hooks"]["state"]
    listed = {h["key"]: h for h in app_server_hooks(codex_bin, home, workdir)}
    assert set(listed) == set(trusted) and len(listed) == 2
    for key, hook in listed.items():
        assert hook["currentHash"] == trusted[key]["trusted_hash"] and hook["trustStatus"] == "trusted", hook
    ran = run_exec(codex_bin, home, workdir, "RUN: echo hooked")  # no --dangerously-bypass-hook-trust
    assert ran.returncode == 0, ran.stderr[-2000:]
    lines = _read_log(log)
    assert [(e["event"], e["source"]) for e in lines] == [("tool", "hook:PostToolUse"), ("turn", "hook:Stop")]
    tool, turn = lines
    assert tool["tool"] == "Bash" and tool["command"] == "echo hooked" and "exit_code" not in tool
    assert tool["session_id"] == turn["session_id"] == events(ran.stdout)[0]["thread_id"]
    assert turn["last_message"] == REPLY and tool["model"] == "gpt-5.4"
    doctor = run_cli("doctor", "--json", "--log", str(log), env=env)
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["PostToolUse hook trusted"]["status"] == "ok" and checks["Stop hook trusted"]["status"] == "ok"
    assert checks["Stop hook last fired"]["detail"].startswith(turn["ts"])


def test_every_synced_profile_is_accepted_and_reaches_the_mock(codex_bin, mock_api, workdir) -> None:
    home = _home()
    write_config(home, mock_api.base_url, extra='profile = "glm-5"\n')  # the legacy selector of issue 13
    (home / "kimi-k2.5.config.toml").write_text('model = "kimi-k2.5"\nmodel_reasoning_effort = "low"\n')
    refused = run_exec(codex_bin, home, workdir, "SAY: x", "-p", "kimi-k2.5")
    assert refused.returncode != 0 and "invalid --profile value" in codex_error(refused.stderr)
    env = codex_env(home, codex_bin)
    synced = run_cli("profiles", "sync", env=env)
    assert synced.returncode == 0, synced.stderr
    assert "removed the legacy selector" in synced.stdout and "renamed kimi-k2.5.config.toml" in synced.stdout
    from hooks.codex_config import profile_name
    from router.state import RouterState

    profiles = {p.name.removesuffix(".config.toml"): tomllib.loads(p.read_text())["model"]
                for p in home.glob("*.config.toml")}
    assert profiles == {profile_name(m): m for m in RouterState.load().models}  # one per model of the router
    assert "gpt-5_4" in profiles and "kimi-k2_5" in profiles and "kimi-k2.5" not in profiles

    def run(name: str):
        return name, run_exec(codex_bin, home, workdir, f"SAY: profile {name}", "-p", name)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(pool.map(run, sorted(profiles)))
    reached = {}
    for body in mock_api.responses_requests():
        text = json.dumps(body.get("input"))
        for name in profiles:
            if f"SAY: profile {name}\\" in text or f"SAY: profile {name}\"" in text:
                reached[name] = body["model"]
    for name, done in results.items():
        assert done.returncode == 0, (name, done.stderr[-1500:])
        assert events(done.stdout)[-1]["type"] == "turn.completed", name
    assert reached == profiles


def test_route_every_model_ends_ok_with_tokens_and_cost(newest_codex, mock_api, workdir, tmp_path,
                                                        monkeypatch) -> None:
    from analytics.prices import PriceBook
    from hooks.codex_config import profile_name
    from hooks.launcher import RouteLauncher
    from router.features import FeatureExtractor
    from router.state import RouterState

    home, log = _home(), tmp_path / "routing_log.jsonl"
    write_config(home, mock_api.base_url)
    env = codex_env(home, newest_codex)
    for key in ("CODEX_BIN", "MOCK_API_KEY", "OPENAI_API_KEY"):  # the launcher runs in this process
        monkeypatch.setenv(key, env[key])
    assert run_cli("profiles", "sync", env=env).returncode == 0
    (Path(os.environ["CODEX_ROUTER_CONFIG_DIR"]) / "prices.toml").write_text(
        PRICES + "cache_write_per_mtok = 3.0\n", encoding="utf-8")
    book = PriceBook.load()
    state = RouterState.load()
    models = list(state.models)  # the router's list, as `profiles sync` saw it
    launcher = RouteLauncher(log, state=state, extractor=FeatureExtractor(embed=False), price_book=book)
    for model in models:
        result = launcher.run(f"SAY: routed to {model}", model=model, cwd=workdir)
        assert result.status == "ok", (model, result.message)
        assert result.tokens == PER_REQUEST, model
        assert result.cost_usd is not None and result.cost_usd == pytest.approx(book.cost(model, **PER_REQUEST))
    gpt = [e for e in _read_log(log) if e["event"] == "outcome" and e["model"] == "gpt-5.4"][0]
    assert gpt["cost_usd"] == pytest.approx(((1200 - 200 - 300) * 2.0 + 200 * 0.5 + 300 * 3.0 + 80 * 10.0) / 1e6)
    routes = [e for e in _read_log(log) if e["event"] == "route"]
    assert [e["profile"] for e in routes] == [profile_name(m) for m in models]
    assert {b["model"] for b in mock_api.responses_requests()} == set(models) and "gpt-5.4" in models
    big = launcher.run("SAY: big task\n" + "x" * (200 * 1024), model="glm-5", cwd=workdir)
    assert big.status == "ok" and big.tokens == PER_REQUEST, big.message  # over 128 KiB: through stdin


def test_the_native_binary_landed_at_the_exact_version(codex_bin) -> None:
    """npm ships the binary in an optional dependency (``@openai/codex-<os>-<arch>``, an alias of
    ``@openai/codex@<version>-<os>-<arch>``); the launcher script alone would only print an error."""
    from codex_npm import native_package

    modules = codex_bin.parent.parent
    version = json.loads((modules / "@openai" / "codex" / "package.json").read_text())["version"]
    native = modules / native_package()
    assert json.loads((native / "package.json").read_text())["version"].startswith(f"{version}-")
    assert [p for p in native.glob("vendor/*/bin/codex") if os.access(p, os.X_OK)]
    pinned = json.loads((modules.parent / "package.json").read_text())["dependencies"]["@openai/codex"]
    assert pinned == version  # --save-exact
