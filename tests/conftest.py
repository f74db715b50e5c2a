"""Every test runs with its own Codex home, config and data dirs: nothing touches the user's real files."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    base = tmp_path_factory.mktemp("home")
    for name, sub in (("CODEX_HOME", "codex"), ("CODEX_ROUTER_CONFIG_DIR", "config"),
                      ("CODEX_ROUTER_DATA_DIR", "data")):
        path = base / sub
        path.mkdir()
        monkeypatch.setenv(name, str(path))
    # A fresh state starts from the shipped priors, as on a user's machine without the benchmark beside it.
    monkeypatch.setenv("CODEX_ROUTER_PROBING_DATA", "")
    return base


@pytest.fixture(scope="session")
def embedder():
    """One real embedding model for the whole run (loading costs seconds)."""
    from router.embedding import shared_embedder

    model = shared_embedder()
    model.load()
    return model
