"""Fixtures for hooks tests: the fake `codex` on PATH, a temp repo, hook payloads from Codex's schema."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hooks_helpers import FAKE_CODEX_DIR, FIXTURES


@pytest.fixture
def fake_codex(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Put tests/fake_codex first on PATH; returns the file the fake records its argv into."""
    monkeypatch.delenv("CODEX_BIN", raising=False)
    monkeypatch.setenv("PATH", f"{FAKE_CODEX_DIR}{os.pathsep}{os.environ.get('PATH', '')}")
    argv_file = tmp_path / "fake_codex_argv.json"
    monkeypatch.setenv("FAKE_CODEX_ARGV_FILE", str(argv_file))
    monkeypatch.delenv("FAKE_CODEX_SCENARIO", raising=False)
    return argv_file


@pytest.fixture
def no_codex(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.delenv("CODEX_BIN", raising=False)
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    (path / "README.md").write_text("# demo\n", encoding="utf-8")
    (path / "pyproject.toml").write_text("[project]\nname = 'demo'\nversion = '0.1'\n", encoding="utf-8")
    return path


@pytest.fixture
def payload():
    def load(name: str) -> dict:
        return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return load


@pytest.fixture(autouse=True)
def fast_inner_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifier runs pytest on temp repos; this venv's plugins (Textual snapshots...) cost seconds to load
    and the temp repos need none of them."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


PRIOR_ROWS = [
    {"dimension": dim, "model": model, "score": score, "cost_usd": cost}
    for dim in ("code_generation", "bug_fixing", "code_refactoring")
    for model, score, cost in (("gpt-5.4", 0.7, 0.02), ("glm-5", 0.6, 0.004), ("claude-opus-4.6", 0.72, 0.09))
    for _ in range(3)
]


@pytest.fixture
def router_state():
    """A real RouterState with known models and priors, saved into the test's isolated config/data dirs."""
    from router.memory import Memory
    from router.priors import Priors
    from router.state import RouterState

    return RouterState(priors=Priors.from_rows(PRIOR_ROWS), memory=Memory(capacity=100),
                       models=["gpt-5.4", "glm-5", "claude-opus-4.6"])


@pytest.fixture
def extractor():
    from router.features import FeatureExtractor

    return FeatureExtractor(embed=False)
