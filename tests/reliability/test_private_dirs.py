"""The folders we create for logs, config and state are 0700 whatever the umask: they hold task text,
messages and costs. Folders that already exist keep their mode (they are not ours)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from reliability_helpers import run_hook

from analytics.atomicfile import atomic_write
from analytics.paths import make_private_dir


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_make_private_dir_creates_every_missing_level_0700(tmp_path, umask_022):
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    target = make_private_dir(existing / "a" / "b")
    assert _mode(existing / "a") == 0o700 and _mode(target) == 0o700
    assert _mode(existing) == 0o755


def test_hook_creates_codex_home_0700(tmp_path, umask_022):
    home = tmp_path / "fresh" / "codex"
    run = run_hook("post-tool-use", home / "routing_log.jsonl", json.dumps({"session_id": "s"}).encode())
    assert run.returncode == 0
    assert _mode(home) == 0o700 and _mode(home.parent) == 0o700


def test_router_state_creates_config_and_data_dirs_0700(tmp_path, umask_022):
    from router.state import RouterState

    config, data = tmp_path / "cfg" / "codex-router-tui", tmp_path / "share" / "codex-router-tui"
    RouterState(config_dir=config, data_dir=data).save()
    for folder in (config, config.parent, data, data.parent):
        assert _mode(folder) == 0o700, folder


def test_atomic_write_and_store_create_their_folders_0700(tmp_path, umask_022):
    from analytics.store import Store

    atomic_write(tmp_path / "x" / "file.toml", "a = 1\n")
    Store(tmp_path / "db" / "routing.duckdb").close()
    assert _mode(tmp_path / "x") == 0o700 and _mode(tmp_path / "db") == 0o700
