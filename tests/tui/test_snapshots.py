"""SVG snapshots of the main screen, narrow (60×30, panels stacked) and wide (160×45, grid).

Deterministic: the fixed fixture log, relative paths (no tmp dirs on screen), no clock in the header,
the embedder 'loaded' before the frame is taken, and every worker finished first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_support import FIXTURE_LOG, FakeServices, wait_for_workers

from tui.app import CodexRouterApp
from tui.services import SessionPaths


@pytest.fixture
def snapshot_app(monkeypatch: pytest.MonkeyPatch) -> CodexRouterApp:
    monkeypatch.chdir(FIXTURE_LOG.parent)
    log = Path(FIXTURE_LOG.name)
    session = SessionPaths(logs=[log], db=Path("routing.duckdb"), write_log=log)
    return CodexRouterApp(FakeServices(session), watch=False)


@pytest.mark.parametrize("size", [(60, 30), (160, 45)])
def test_main_screen_snapshot(snap_compare, snapshot_app: CodexRouterApp, size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app, terminal_size=size, run_before=wait_for_workers)
