"""Every test runs with its own Codex home, config and data dirs: nothing touches the user's real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


SAMPLE_LOG = Path(__file__).resolve().parent.parent / "sample_logs" / "routing_log.jsonl"


def pytest_sessionstart(session: pytest.Session) -> None:
    """The sample log is generated, not committed; written afresh each run (~1 s) so it always matches the router.

    Its routes come from the real ACRouter, so a file left from before a router change would be stale.
    """
    fresh = SAMPLE_LOG.with_name(f".{SAMPLE_LOG.name}.{os.getpid()}")
    subprocess.run([sys.executable, str(SAMPLE_LOG.with_name("generate.py")), "--out", str(fresh)],
                   check=True, capture_output=True, timeout=300)
    os.replace(fresh, SAMPLE_LOG)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    base = tmp_path_factory.mktemp("home")
    for name, sub in (("CODEX_HOME", "codex"), ("CODEX_ROUTER_CONFIG_DIR", "config"),
                      ("CODEX_ROUTER_DATA_DIR", "data")):
        path = base / sub
        path.mkdir()
        monkeypatch.setenv(name, str(path))
    return base


@pytest.fixture(scope="session")
def embedder():
    """One real embedding model for the whole run (loading costs seconds)."""
    from router.embedding import shared_embedder

    model = shared_embedder()
    model.load()
    return model
