"""Fixtures for the analytics tests: a known log, an empty store, and the two loaded together."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_fixtures import FIXTURE_LINES, write

from analytics.store import Store


@pytest.fixture
def fixture_log(tmp_path: Path) -> Path:
    path = tmp_path / "routing_log.jsonl"
    write(path, *FIXTURE_LINES, mode="w")
    return path


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "routing.duckdb") as opened:
        yield opened


@pytest.fixture
def loaded(store: Store, fixture_log: Path) -> Store:
    from analytics.ingest import LogIngester

    LogIngester(store, [fixture_log]).poll()
    return store
