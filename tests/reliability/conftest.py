"""Fixtures for the reliability suite; the helpers live in ``reliability_helpers``."""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_helpers import Ingest


@pytest.fixture
def ingest(tmp_path: Path):
    log = tmp_path / "logs" / "routing_log.jsonl"
    log.parent.mkdir()
    handle = Ingest(tmp_path / "db" / "routing.duckdb", log)
    yield handle
    handle.close()
