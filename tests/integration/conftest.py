"""Fixtures for the tests against the real Codex CLI: one installed binary per tested version (skipped, with
the reason, where npm or the registry cannot be reached), a mock Responses server and a throwaway home."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from codex_npm import CODEX_VERSIONS, CodexUnavailable, install_codex  # noqa: E402
from mock_responses import MockResponses  # noqa: E402

_installed: dict[str, Path | str] = {}


def codex_binary(version: str) -> Path:
    """The binary of ``version``, installed once per session; skips the test with the reason when it cannot be."""
    if version not in _installed:
        try:
            _installed[version] = install_codex(version)
        except CodexUnavailable as exc:
            _installed[version] = str(exc)
    found = _installed[version]
    if isinstance(found, str):
        pytest.skip(f"real Codex {version} unavailable: {found}")
    return found


@pytest.fixture(params=CODEX_VERSIONS, ids=lambda v: f"codex-{v}")
def codex_bin(request: pytest.FixtureRequest) -> Path:
    return codex_binary(request.param)


@pytest.fixture
def newest_codex() -> Path:
    return codex_binary(CODEX_VERSIONS[-1])


@pytest.fixture
def mock_api():
    with MockResponses(lifetime_s=240) as mock:
        yield mock


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    (path / "README.md").write_text("# demo\n", encoding="utf-8")
    return path
