"""SVG snapshots of every screen on the committed sample log, as a side pane (60×30) and a window (120×40).

The real services read a copy of sample_logs/routing_log.jsonl (relative paths, so no tmp folder is on screen),
the clock is fixed, the router starts from the log (no probing data, no router.toml) and every worker has
finished before the frame is taken. What a reviewer checks in them: no number is cut at either size.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input
from tui_support import wait_for_workers

from router.embedding import shared_embedder
from tui.app import CodexRouterApp
from tui.live_services import LiveServices
from tui.session import SessionPaths

SAMPLE_LOG = Path(__file__).resolve().parents[2] / "sample_logs" / "routing_log.jsonl"
CLOCK = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # after the sample's last day: the review shows its last sprint
SIZES = [pytest.param((60, 30), id="60x30"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def sample_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CodexRouterApp:
    shutil.copy(SAMPLE_LOG, tmp_path / "routing_log.jsonl")
    monkeypatch.chdir(tmp_path)
    log = Path("routing_log.jsonl")
    services = LiveServices(SessionPaths(logs=[log], db=Path("routing.duckdb"), write_log=log), clock=lambda: CLOCK,
                        embedder=shared_embedder())  # in-process: loaded only by the tests that ask for it
    return CodexRouterApp(services, watch=False, load_embedder=False)


def keys(*pressed: str):
    async def run_before(pilot) -> None:
        await wait_for_workers(pilot)
        for key in pressed:
            await pilot.press(key)
            await wait_for_workers(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(snap_compare, sample_app: CodexRouterApp, size: tuple[int, int]) -> None:
    assert snap_compare(sample_app, terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", SIZES)
def test_full_win_rates(snap_compare, sample_app: CodexRouterApp, size: tuple[int, int]) -> None:
    assert snap_compare(sample_app, terminal_size=size, run_before=keys("x"))


@pytest.mark.parametrize("size", SIZES)
def test_route_detail(snap_compare, sample_app: CodexRouterApp, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        await wait_for_workers(pilot)
        pilot.app.dashboard.query_one("#feed", DataTable).focus()
        await pilot.press("down", "enter")  # the newest outcome
        await wait_for_workers(pilot)

    assert snap_compare(sample_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_router(snap_compare, sample_app: CodexRouterApp, size: tuple[int, int]) -> None:
    assert snap_compare(sample_app, terminal_size=size, run_before=keys("f3"))


@pytest.mark.parametrize("size", SIZES)
def test_router_whatif(snap_compare, sample_app: CodexRouterApp, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        await keys("f3")(pilot)
        box = pilot.app.screen.query_one("#set-eps_cost", Input)
        box.value = "-0.3"
        box.focus()
        await pilot.press("enter")
        await wait_for_workers(pilot)
        pilot.app.screen.set_focus(None)  # no blinking input cursor in the frame
        pilot.app.screen.query_one("#whatif-text").scroll_visible(animate=False)
        await pilot.pause()

    assert snap_compare(sample_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_composer(snap_compare, sample_app: CodexRouterApp, size: tuple[int, int], embedder) -> None:
    async def run_before(pilot) -> None:
        await keys("f4")(pilot)
        await pilot.press(*"tests in app/invoices.py fail intermittently", "enter")
        await wait_for_workers(pilot)

    assert snap_compare(sample_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_sprint_review(snap_compare, sample_app: CodexRouterApp, size: tuple[int, int]) -> None:
    assert snap_compare(sample_app, terminal_size=size, run_before=keys("f6"))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, sample_app: CodexRouterApp, size: tuple[int, int]) -> None:
    assert snap_compare(sample_app, terminal_size=size, run_before=keys("f1"))
