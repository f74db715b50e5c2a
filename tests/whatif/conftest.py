"""Fixtures for the what-if tests; the log writer they use lives in ``whatif_support``."""

from __future__ import annotations

from pathlib import Path

import pytest
from whatif_support import write_log


@pytest.fixture
def fixture_log(tmp_path: Path) -> Path:
    path = tmp_path / "routing_log.jsonl"
    write_log(path)
    return path
