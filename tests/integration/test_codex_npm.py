"""Where npm or the registry cannot be reached, the real-Codex tests skip with the reason instead of failing."""

from __future__ import annotations

from pathlib import Path

import pytest
from codex_npm import CodexUnavailable, install_codex


def test_no_npm_is_a_reason_to_skip(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CodexUnavailable, match="npm/node not on PATH"):
        install_codex("0.169.0")


def test_unreachable_registry_is_a_reason_to_skip(monkeypatch, tmp_path: Path) -> None:
    if not __import__("shutil").which("npm"):
        pytest.skip("npm not installed")
    monkeypatch.setenv("CODEX_ROUTER_NPM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")  # nothing listens on the discard port
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    monkeypatch.setenv("npm_config_offline", "false")
    with pytest.raises(CodexUnavailable, match="failed"):
        install_codex("0.169.0")
