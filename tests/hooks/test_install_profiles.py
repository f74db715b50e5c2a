"""`install` merges our hooks into an existing hooks.json; `profiles sync` writes the form the Codex version
reads, keeps comments, and migrates legacy [profiles.*] tables that would stop Codex >= 0.134 starting."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hooks_helpers import run_cli

from hooks.codex_config import profile_name, provider_for, valid_profile_name
from hooks.codex_version import STDIN_PROMPT_BYTES, CodexVersionError, detect, exec_argv, parse_version
from hooks.profiles_command import plan_file_form, plan_table_form, wanted_profiles

EXISTING_HOOKS = {"hooks": {"PostToolUse": [{"matcher": "Bash", "hooks": [
    {"type": "command", "command": "python3 ~/.codex/lint.py", "timeout": 10}]}],
    "SessionStart": [{"hooks": [{"type": "command", "command": "echo hi"}]}]}}
LEGACY_CONFIG = """# my Codex config
model = "gpt-5.4"  # default

[profiles.fast]
# quick one
model = "gpt-5.4-mini"
model_reasoning_effort = "low"

[mcp_servers.docs]
command = "docs-server"
"""


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "hooks.json").write_text(json.dumps(EXISTING_HOOKS, indent=2))
    (home / "config.toml").write_text(LEGACY_CONFIG)
    return home


def test_install_keeps_existing_hooks_is_idempotent_and_backs_up(tmp_path: Path) -> None:
    home = _home(tmp_path)
    original = (home / "hooks.json").read_text()
    dry = run_cli("install", "--codex-home", str(home), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert b"+" in dry.stdout and (home / "hooks.json").read_text() == original
    first = run_cli("install", "--codex-home", str(home))
    assert first.returncode == 0, first.stderr
    assert b"/hooks" in first.stdout
    config = json.loads((home / "hooks.json").read_text())
    post = config["hooks"]["PostToolUse"]
    assert post[0] == EXISTING_HOOKS["hooks"]["PostToolUse"][0]
    assert config["hooks"]["SessionStart"] == EXISTING_HOOKS["hooks"]["SessionStart"]
    ours = [h["command"] for g in post for h in g["hooks"] if "hook post-tool-use" in h["command"]]
    assert len(ours) == 1
    assert any("hook stop" in h["command"] for g in config["hooks"]["Stop"] for h in g["hooks"])
    assert (home / "hooks.json.codex-router.bak").read_text() == original
    second = run_cli("install", "--codex-home", str(home))
    assert b"nothing to change" in second.stdout
    assert json.loads((home / "hooks.json").read_text()) == config
    assert (home / "hooks.json.codex-router.bak").read_text() == original


def test_install_refuses_broken_hooks_json(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "hooks.json").write_text("{ not json")
    done = run_cli("install", "--codex-home", str(home))
    assert done.returncode == 1 and b"hooks.json: not valid JSON" in done.stderr
    assert (home / "hooks.json").read_text() == "{ not json"


def test_installed_hook_command_runs(tmp_path: Path) -> None:
    import shlex
    import subprocess

    home = _home(tmp_path)
    log = tmp_path / "log.jsonl"
    assert run_cli("install", "--codex-home", str(home), "--log", str(log)).returncode == 0
    stop = json.loads((home / "hooks.json").read_text())["hooks"]["Stop"][-1]["hooks"][0]["command"]
    payload = json.dumps({"session_id": "s", "turn_id": "t", "cwd": str(tmp_path), "hook_event_name": "Stop"})
    done = subprocess.run(stop, shell=True, input=payload.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout == b"", shlex.split(stop)
    assert json.loads(log.read_text())["event"] == "turn"


def test_profile_names_and_providers() -> None:
    assert profile_name("Qwen/Qwen3 Coder") == "qwen-qwen3-coder"
    assert profile_name("claude-opus-4.6") == "claude-opus-4_6" and profile_name("gpt-5.4") == "gpt-5_4"
    assert profile_name("qwen3.5-plus") == "qwen3_5-plus" and profile_name("MiniMax-M2.7") == "minimax-m2_7"
    for model in ("gpt-5.4", "kimi-k2.5", "a.b/c d:e", "Qwen3-Max", "x..y"):
        assert valid_profile_name(profile_name(model)), model  # what Codex 0.169+ accepts after -p
    assert not valid_profile_name("gpt-5.4")
    assert provider_for("claude-opus-4.6") == "anthropic"
    assert provider_for("glm-5") == "zhipu" and provider_for("kimi-k2.5") == "moonshot"
    assert provider_for("qwen/qwen3-coder") == "openrouter" and provider_for("gpt-5.4") == "openai"
    assert provider_for("glm-5", {"glm-*": "openrouter"}) == "openrouter"


def test_file_form_migrates_legacy_tables_and_keeps_comments(tmp_path: Path) -> None:
    home = _home(tmp_path)
    profiles = wanted_profiles(["gpt-5.4", "claude-opus-4.6"], {"bug_fixing": "claude-opus-4.6"}, {})
    changes = plan_file_form(home, LEGACY_CONFIG, profiles).changes
    config_new = changes[home / "config.toml"][1]
    assert "profiles" not in tomllib.loads(config_new)
    assert "# my Codex config" in config_new and "# default" in config_new and "[mcp_servers.docs]" in config_new
    fast = tomllib.loads(changes[home / "fast.config.toml"][1])
    assert fast == {"model": "gpt-5.4-mini", "model_reasoning_effort": "low"}
    opus = tomllib.loads(changes[home / "claude-opus-4_6.config.toml"][1])
    assert opus == {"model": "claude-opus-4.6", "model_provider": "anthropic"}
    assert tomllib.loads(changes[home / "bug_fixing.config.toml"][1])["model"] == "claude-opus-4.6"


def test_file_form_removes_the_legacy_selector_and_renames_dotted_files(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    config = 'profile = "glm-5"  # legacy selector\nmodel = "gpt-5.4"\n\n[profiles."kimi-k2.5"]\nfoo = 1\n'
    (home / "gpt-5.4.config.toml").write_text('model = "gpt-5.4"\nmodel_reasoning_effort = "high"  # mine\n')
    plan = plan_file_form(home, config, wanted_profiles(["gpt-5.4", "kimi-k2.5"], {}, {}))
    new_config = tomllib.loads(plan.changes[home / "config.toml"][1])
    assert new_config == {"model": "gpt-5.4"}
    assert plan.changes[home / "gpt-5.4.config.toml"][1] is None  # removed (run() backs it up first)
    gpt = tomllib.loads(plan.changes[home / "gpt-5_4.config.toml"][1])
    assert gpt == {"model": "gpt-5.4", "model_reasoning_effort": "high", "model_provider": "openai"}
    kimi = tomllib.loads(plan.changes[home / "kimi-k2_5.config.toml"][1])
    assert kimi["foo"] == 1 and kimi["model"] == "kimi-k2.5"
    assert not any(valid is False for valid in map(valid_profile_name, (p.name.removesuffix(".config.toml")
                                                                        for p, (_, new) in plan.changes.items()
                                                                        if new is not None and p.name != "config.toml")))
    assert any("legacy selector" in note for note in plan.notes) and any("renamed" in note for note in plan.notes)


def test_file_form_updates_a_user_file_in_place(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "gpt-5_4.config.toml").write_text('# mine\nmodel = "old"\nmodel_reasoning_effort = "high"  # keep\n')
    changes = plan_file_form(home, "", wanted_profiles(["gpt-5.4"], {}, {})).changes
    new = changes[home / "gpt-5_4.config.toml"][1]
    assert "# mine" in new and "# keep" in new
    assert tomllib.loads(new) == {"model": "gpt-5.4", "model_reasoning_effort": "high", "model_provider": "openai"}
    assert home / "config.toml" not in changes


def test_table_form_for_old_codex_keeps_comments(tmp_path: Path) -> None:
    home = _home(tmp_path)
    changes = plan_table_form(home, LEGACY_CONFIG, wanted_profiles(["glm-5"], {}, {})).changes
    new = changes[home / "config.toml"][1]
    data = tomllib.loads(new)
    assert data["profiles"]["glm-5"] == {"model": "glm-5", "model_provider": "zhipu"}
    assert data["profiles"]["fast"]["model"] == "gpt-5.4-mini"
    assert "# quick one" in new and "# my Codex config" in new
    assert plan_table_form(home, new, wanted_profiles(["glm-5"], {}, {})).changes == {}


def test_profiles_sync_cli_dry_run_and_write(tmp_path: Path, fake_codex) -> None:
    pytest.importorskip("router.state", reason="router/state.py (RouterState) has not landed yet")
    home = _home(tmp_path)
    before = (home / "config.toml").read_text()
    dry = run_cli("profiles", "sync", "--codex-home", str(home), "--dry-run", "--model", "kimi-k2.5")
    assert dry.returncode == 0, dry.stderr
    assert b"Codex 0.169.0 (from codex --version)" in dry.stderr
    assert b"kimi-k2_5.config.toml" in dry.stdout and (home / "config.toml").read_text() == before
    assert not (home / "kimi-k2_5.config.toml").exists()
    done = run_cli("profiles", "sync", "--codex-home", str(home), "--model", "kimi-k2.5")
    assert done.returncode == 0, done.stderr
    assert b"kimi-k2_5                        model=kimi-k2.5" in done.stdout  # the name to pass to -p
    assert tomllib.loads((home / "kimi-k2_5.config.toml").read_text())["model_provider"] == "moonshot"
    assert "profiles" not in tomllib.loads((home / "config.toml").read_text())
    assert (home / "config.toml.codex-router.bak").read_text() == before
    assert b"[model_providers.moonshot]" in done.stderr
    old = run_cli("profiles", "sync", "--codex-home", str(home), "--model", "glm-5", "--codex-version", "0.120.0")
    assert old.returncode == 0, old.stderr
    assert tomllib.loads((home / "config.toml").read_text())["profiles"]["glm-5"]["model"] == "glm-5"


def test_codex_version_parsing_and_detection(fake_codex, monkeypatch) -> None:
    assert parse_version("codex-cli 0.169.0") == (0, 169, 0)
    assert parse_version("0.133") == (0, 133, 0)
    try:
        parse_version("codex")
        raise AssertionError("expected CodexVersionError")
    except CodexVersionError as exc:
        assert "codex-cli 0.169.0" in str(exc)
    assert detect().profile_form == "file" and detect().source == "codex --version"
    monkeypatch.setenv("FAKE_CODEX_VERSION", "0.120.3")
    assert detect().version == (0, 120, 3) and detect().profile_form == "table"
    assert detect("0.140.0").source == "--codex-version"


def test_codex_missing_is_assumed_and_said(no_codex) -> None:
    version = detect()
    assert version.source == "assumed" and "assuming 0.171.0" in version.describe()


def test_exec_argv_puts_the_prompt_after_double_dash() -> None:
    argv, stdin = exec_argv("codex", model="m", cwd="/r", prompt="--help me")
    assert argv[-2:] == ["--", "--help me"] and stdin is None
    argv, stdin = exec_argv("codex", model="m", cwd="/r", prompt="-")
    assert argv[-1] == "-" and stdin == "-"
    big = "x" * (STDIN_PROMPT_BYTES + 1)
    argv, stdin = exec_argv("codex", model="m", cwd="/r", prompt=big)
    assert argv[-2:] == ["--", "-"] and stdin == big
    assert exec_argv("codex", model="m", cwd="/r", prompt=big[1:])[1] is None


def test_install_trust_writes_codex_hash_for_our_hooks_only(tmp_path: Path) -> None:
    from hooks.codex_trust import hook_entries, trust_hash, trusted_hashes

    home = _home(tmp_path)
    plain = run_cli("install", "--codex-home", str(home))
    assert b"/hooks" in plain.stdout and b"--trust" in plain.stdout
    assert "hooks" not in tomllib.loads((home / "config.toml").read_text())  # trust only on request
    dry = run_cli("install", "--codex-home", str(home), "--trust", "--dry-run")
    assert dry.returncode == 0 and b"trusted_hash" in dry.stdout and "state" not in (home / "config.toml").read_text()
    done = run_cli("install", "--codex-home", str(home), "--trust")
    assert done.returncode == 0, done.stderr
    config_text = (home / "config.toml").read_text()
    assert "# my Codex config" in config_text and "[mcp_servers.docs]" in config_text
    trusted = trusted_hashes(tomllib.loads(config_text))
    hooks_path = (home / "hooks.json").resolve()
    entries = {e.key: e for e in hook_entries(hooks_path, json.loads((home / "hooks.json").read_text()))}
    # ours: PostToolUse group 1 (the user's lint hook is group 0, left untrusted) and Stop group 0
    assert set(trusted) == {f"{hooks_path}:post_tool_use:1:0", f"{hooks_path}:stop:0:0"}
    assert all(trusted[key] == entries[key].current_hash for key in trusted)
    again = run_cli("install", "--codex-home", str(home), "--trust")
    assert b"already trusted" in again.stdout
    # Codex's identity: matcher kept for PostToolUse, dropped for Stop; timeout defaults to 600
    handler = {"type": "command", "command": "x"}
    assert trust_hash("Stop", ".*", handler) == trust_hash("Stop", None, {**handler, "timeout": 600})
    assert trust_hash("PostToolUse", ".*", handler) != trust_hash("PostToolUse", None, handler)
