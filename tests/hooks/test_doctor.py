"""`codex-router doctor`: each check against a real Codex home (with the fake `codex` for the version), each
problem with the command that fixes it, exit 1 while any problem remains and 0 once they are fixed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hooks_helpers import run_cli

from hooks.cli import main
from hooks.codex_config import PROVIDER_HINTS
from hooks.doctor_command import check_prices


@pytest.fixture
def doctor(capsys):
    """`codex-router doctor --json ARGS` in this process (the CLI itself is run once, below, as a subprocess)."""

    def call(*args: str) -> tuple[int, dict]:
        capsys.readouterr()
        code = main(["doctor", "--json", *args])
        return code, json.loads(capsys.readouterr().out)
    return call


def _by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def test_fresh_home_lists_each_problem_with_its_fix_and_exits_1(fake_codex, doctor) -> None:
    code, report = doctor()
    checks = _by_name(report)
    assert code == 1 and report["ok"] is False and report["codex_version"] == "0.169.0"
    assert checks["codex"]["status"] == "ok"
    assert checks["hooks installed"]["status"] == "problem" and "install --trust" in checks["hooks installed"]["fix"]
    assert checks["profiles"]["status"] == "problem" and checks["profiles"]["fix"] == "codex-router profiles sync"
    assert "gpt-5.4 -> gpt-5_4" in checks["profiles"]["detail"]
    assert checks["routing log"]["status"] == "ok"


def test_after_install_trust_and_sync_nothing_is_wrong_and_last_fired_is_read(fake_codex, tmp_path, doctor) -> None:
    home = Path(os.environ["CODEX_HOME"])
    providers = "".join(f'[model_providers.{pid}]\nname = "{pid}"\nbase_url = "http://127.0.0.1:9/v1"\n'
                        f'env_key = "K"\nwire_api = "responses"\n' for pid in PROVIDER_HINTS)
    (home / "config.toml").write_text('profile = "glm-5"\n' + providers)
    assert _by_name(doctor()[1])["legacy profile selector"]["status"] == "problem"
    assert run_cli("install", "--trust").returncode == 0
    assert run_cli("profiles", "sync").returncode == 0
    code, report = doctor()
    assert code == 0 and report["problems"] == 0, [c for c in report["checks"] if c["status"] == "problem"]
    assert _by_name(report)["Stop hook last fired"]["status"] == "note"  # never yet: a note, not a problem
    stop = json.dumps({"session_id": "s", "turn_id": "t", "cwd": str(tmp_path), "hook_event_name": "Stop"})
    assert run_cli("hook", "stop", stdin=stop).returncode == 0
    fired = _by_name(doctor()[1])["Stop hook last fired"]
    assert fired["status"] == "ok" and fired["detail"].startswith("20")


def test_a_changed_hook_is_reported_modified(fake_codex, doctor) -> None:
    home = Path(os.environ["CODEX_HOME"])
    assert run_cli("install", "--trust").returncode == 0
    hooks = json.loads((home / "hooks.json").read_text())
    hooks["hooks"]["Stop"][0]["hooks"][0]["timeout"] = 30
    (home / "hooks.json").write_text(json.dumps(hooks))
    check = _by_name(doctor()[1])["Stop hook trusted"]
    assert check["status"] == "problem" and "modified" in check["detail"] and "--trust" in check["fix"]


def test_missing_codex_and_unwritable_log(no_codex, tmp_path, doctor) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, report = doctor("--log", str(blocker / "log.jsonl"))
    checks = _by_name(report)
    assert code == 1 and checks["codex"]["status"] == "problem" and "npm install" in checks["codex"]["fix"]
    assert checks["routing log"]["status"] == "problem"


def test_unpriced_model_names_the_price_file() -> None:
    [check] = check_prices(["gpt-5.4", "no-such-model-xyz"])
    assert check.status == "problem" and "no-such-model-xyz" in check.detail and "prices.toml" in check.fix


def test_text_output_prints_fixes(fake_codex) -> None:
    done = run_cli("doctor")
    assert done.returncode == 1 and b"PROBLEM hooks installed" in done.stdout and b"fix: codex-router" in done.stdout


def test_a_profile_whose_provider_is_undefined_is_a_problem(fake_codex, doctor) -> None:
    assert run_cli("profiles", "sync").returncode == 0  # writes anthropic, zhipu, ... profiles
    checks = _by_name(doctor()[1])
    assert checks["provider anthropic"]["status"] == "problem"
    assert "[model_providers.anthropic]" in checks["provider anthropic"]["fix"]
    assert "provider openai" not in checks  # built in
