"""Fixtures for the dashboard's Pilot tests; the helpers they use live in ``tui_support``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tui_support import FIXTURE_LOG, FakeServices

from tui.session import SessionPaths


@pytest.fixture
def log_copy(tmp_path: Path) -> Path:
    target = tmp_path / "logs" / "routing_log.jsonl"
    target.parent.mkdir()
    shutil.copy(FIXTURE_LOG, target)
    return target


@pytest.fixture
def fake_services(log_copy: Path, tmp_path: Path) -> FakeServices:
    session = SessionPaths(logs=[log_copy], db=tmp_path / "db.duckdb", write_log=log_copy)
    return FakeServices(session)
