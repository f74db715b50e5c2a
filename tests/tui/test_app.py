"""Pilot tests of every dashboard flow against the deterministic FakeServices."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import Button, DataTable, Input, Log, Select, Static
from tui_support import FIXTURE_LOG, FakeServices, wait_for_workers

from analytics.logwriter import append_event
from tui.app import CodexRouterApp
from tui.config import TuiConfig
from tui.errors import ServiceError
from tui.messages import DashboardRefreshed, FeedRefreshed, LogChanged
from tui.screens.composer import ComposerScreen
from tui.screens.router import RouterScreen
from tui.screens.sprint import SprintScreen, default_export_folder
from tui.session import SessionPaths, resolve_paths
from tui.viewdata import FeedData
from tui.widgets.panels import RecentFeed, WinRateTable


def table_text(table: DataTable) -> str:
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count))


class RecordingApp(CodexRouterApp):
    """Keeps every FeedRefreshed / DashboardRefreshed it handled, to assert on posted messages."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.feeds: list[FeedRefreshed] = []
        self.refreshed: list[DashboardRefreshed] = []

    def on_feed_refreshed(self, message: FeedRefreshed) -> None:
        self.feeds.append(message)

    def on_dashboard_refreshed(self, message: DashboardRefreshed) -> None:
        self.refreshed.append(message)


async def test_demo_start_paints_before_embedder_and_never_writes_samples(tmp_path: Path) -> None:
    session = resolve_paths(None, None, None, demo=False)  # CODEX_HOME is empty: falls back to demo
    assert session.demo and "no log" in session.reason
    samples = Path(__file__).resolve().parents[2] / "sample_logs"
    assert session.write_log.parent != samples and samples not in session.db.parents
    assert any(p.parent == samples for p in session.logs)
    gate = threading.Event()
    services = FakeServices(session, embed_gate=gate)
    app = RecordingApp(services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.app.workers.wait_for_complete() if gate.is_set() else None
        for _ in range(50):
            if app.refreshed:
                break
            await pilot.pause(0.02)
        assert "DEMO" in app.sub_title and "sample_logs" in app.sub_title
        status = str(app.dashboard.query_one("#status", Static).render())
        assert "loading" in status  # the dashboard painted while the model is still loading
        assert app.refreshed and app.refreshed[0].data.totals.runs > 0
        gate.set()
        await wait_for_workers(pilot)
        assert "ready" in str(app.dashboard.query_one("#status", Static).render())
    scratch = session.scratch
    assert scratch is not None and not scratch.exists()  # the temp DB/log are removed on exit


async def test_panels_show_the_fixture(fake_services: FakeServices) -> None:
    app = RecordingApp(fake_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_workers(pilot)
        totals = str(app.dashboard.query_one("#totals", Static).render())
        assert "24" in totals and "tasks, estimated" in totals
        wins = table_text(app.dashboard.query_one("#winrates", DataTable))
        assert "bug_fixing" in wins and "★" in wins
        assert "fixture task 23" in table_text(app.dashboard.query_one("#feed", DataTable))


async def test_live_append_reaches_every_panel(fake_services: FakeServices, log_copy: Path) -> None:
    app = RecordingApp(fake_services, config=TuiConfig(poll=0.2))
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_workers(pilot)
        before = len(app.feeds)
        append_event(log_copy, {"event": "outcome", "task_id": "t-live", "model": "gpt-5.4", "score": 1.0,
                                "dimension": "agentic", "cost_usd": 0.5, "status": "ok",
                                "ts": "2026-11-12T17:00:00.000Z"})
        for _ in range(100):  # the watcher/poll posts LogChanged from another thread
            if any(m.data.new_events for m in app.feeds[before:]):
                break
            await pilot.pause(0.02)
        await wait_for_workers(pilot)
        new = [m for m in app.feeds[before:] if m.data.new_events]
        assert new and new[0].data.new_events == 1  # only the appended line was read
        assert "25" in str(app.dashboard.query_one("#totals", Static).render())
        assert "agentic" in table_text(app.dashboard.query_one("#winrates", DataTable))
        feed = app.dashboard.query_one("#feed", DataTable)
        assert "t-live" in " ".join(str(c) for c in feed.get_row_at(0))


async def test_ingest_error_is_a_banner_not_a_traceback(fake_services: FakeServices) -> None:
    def broken() -> None:
        raise ServiceError("/x/routing.duckdb: database is locked by another process")

    fake_services.ingest = broken
    app = CodexRouterApp(fake_services, watch=False, config_error="tui.toml: poll = 'x'")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_workers(pilot)
        banner = app.dashboard.query_one("#banner", Static)
        assert banner.display and "locked" in str(banner.render())
        assert any("tui.toml" in n.message for n in app._notifications)


async def test_router_edits_validated_and_used_by_composer(fake_services: FakeServices) -> None:
    app = CodexRouterApp(fake_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("f3")
        await wait_for_workers(pilot)
        screen = app.screen
        assert isinstance(screen, RouterScreen)
        assert "log2(cost" in str(screen.query_one(".unit", Static).render()) or \
            any("κ" in str(w.render()) for w in screen.query(".unit"))
        eps = screen.query_one("#set-eps_cost", Input)
        # a bad value is refused and nothing changes
        eps.value = "abc"
        await pilot.press("tab") if False else None
        screen.apply_setting("eps_cost", "abc")
        await wait_for_workers(pilot)
        assert fake_services.settings.eps_cost == -0.1
        assert eps.value == "-0.1"
        assert "refused" in str(screen.query_one("#router-note", Static).render())
        screen.apply_setting("exploration", "2")
        await wait_for_workers(pilot)
        assert fake_services.settings.exploration == 0.0
        # a good value applies at once, and the what-if shows it beside the current one before Save
        eps.focus()
        eps.value = "-0.5"
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert fake_services.settings.eps_cost == -0.5 and fake_services.saved.eps_cost == -0.1
        whatif = str(screen.query_one("#whatif-text", Static).render())
        assert "ESTIMATES" in whatif and "logged 58.0%" in whatif and "saved DR" in whatif
        for estimator in ("IPS", "SNIPS", "DR"):  # all three, each with its interval, as the CLI shows them
            assert f"edited {estimator}" in whatif
        assert "55.0%  [51.0% – 59.0%]" in whatif  # IPS of ε2 = -0.5 with its interval
        assert "too little support" in whatif  # an estimate the log cannot give says so
        # pin a prior cell (bad, then good), save, reset
        screen.query_one("#priors", DataTable).focus()
        await pilot.press("down")
        screen.query_one("#cell-score", Input).value = "1.5"
        await pilot.press("ctrl+n")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert not any(v[3] for v in fake_services.cells.values())
        screen.query_one("#cell-score", Input).value = "0.9"
        await pilot.press("enter")
        await wait_for_workers(pilot)
        priors = screen.query_one("#priors", DataTable)
        assert "pinned" in table_text(priors)
        assert priors.cursor_row == 1  # the cursor stays on the pinned cell (it went back to the first row)
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        assert fake_services.saved.eps_cost == -0.5
        await pilot.press("ctrl+r")
        await wait_for_workers(pilot)
        assert "pinned" not in table_text(screen.query_one("#priors", DataTable))
        # the composer decides with the edited ε2: the cheap model wins now
        await pilot.press("f4")
        composer = app.screen
        composer.query_one("#task", Input).value = "fix the failing invoice test"
        composer.query_one("#task", Input).focus()
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert composer.decision.chosen == "qwen3.5-plus"


async def test_compose_override_launch(fake_services: FakeServices) -> None:
    app = CodexRouterApp(fake_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("f4")
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        await pilot.press("enter")  # empty task: refused with a message
        await wait_for_workers(pilot)
        assert "type a task" in str(composer.query_one("#decision-summary", Static).render())
        await pilot.press(*"fix the bug")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert composer.decision.chosen == "claude-sonnet-4-6"
        candidates = table_text(composer.query_one("#candidates", DataTable))
        assert "prior vote" in " ".join(str(c.label) for c in composer.query_one("#candidates", DataTable)
                                        .columns.values()) and "★" in candidates
        assert "fixture task 1" in table_text(composer.query_one("#neighbours", DataTable))
        composer.query_one("#override", Select).value = "gpt-5.4"
        await pilot.press("ctrl+l")
        await wait_for_workers(pilot)
        assert fake_services.launches == [("claude-sonnet-4-6", "gpt-5.4")]
        log = "\n".join(composer.query_one("#progress", Log).lines)
        assert "override" in log and "codex started" in log and "done: ok" in log


async def test_sprint_range_and_export(fake_services: FakeServices, tmp_path: Path) -> None:
    app = CodexRouterApp(fake_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("f6")
        await wait_for_workers(pilot)
        sprint = app.screen
        assert isinstance(sprint, SprintScreen)
        assert "Last 7 days" in str(sprint.query_one("#sprint-totals", Static).render())  # today has data
        assert "ESTIMATED" in " ".join(str(w.render()) for w in sprint.query(".caption"))
        sprint.query_one("#start", Input).value = "2026-13-01"
        sprint.action_show_range()
        await wait_for_workers(pilot)
        assert any("YYYYMMDD" in n.message for n in app._notifications)
        sprint.query_one("#start", Input).value = "20261112"
        sprint.query_one("#end", Input).value = "2026-11-12"
        sprint.action_show_range()
        await wait_for_workers(pilot)
        totals = str(sprint.query_one("#sprint-totals", Static).render())
        assert "Custom: 2026-11-12 → 2026-11-12" in totals and "8 runs" in totals
        # export asks first: a stray Enter lands on Cancel and writes nothing
        target = tmp_path / "out"
        await pilot.press("ctrl+s")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert not target.exists() and app.screen is sprint
        await pilot.press("ctrl+t")
        dialog = app.screen
        assert str(default_export_folder()) == dialog.query_one("#export-folder", Input).value  # stated default
        dialog.query_one("#export-folder", Input).value = str(target)
        dialog.query_one("#export-go").press()
        await wait_for_workers(pilot)
        assert pl.read_parquet(target / "events.parquet").height == 8
        assert str(target) in str(sprint.query_one("#export-note", Static).render())


async def test_sprint_default_shows_the_latest_data_when_today_has_none(fake_services: FakeServices) -> None:
    fake_services.clock = lambda: datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    app = CodexRouterApp(fake_services, watch=False)
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.press("f6")
        await wait_for_workers(pilot)
        totals = str(app.screen.query_one("#sprint-totals", Static).render())
        assert "Last sprint" in totals and "→ 2026-11-12" in totals and "24 runs" in totals


def failing(text: str):
    def fail(*_args, **_kwargs) -> None:
        raise ServiceError(text)
    return fail


async def test_a_failed_launch_keeps_the_decision_and_a_failed_decide_says_so(fake_services: FakeServices) -> None:
    """The composer tells the two failures apart by their operation (not by the label it shows)."""
    app = CodexRouterApp(fake_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("f4")
        composer = app.screen
        await pilot.press(*"fix the bug", "enter")
        await wait_for_workers(pilot)
        fake_services.launch = failing("codex is not installed")
        await pilot.press("ctrl+l")
        await wait_for_workers(pilot)
        assert not composer.running and not composer.query_one("#launch", Button).disabled
        assert composer.query_one("#cancel", Button).disabled
        assert "No decision" not in str(composer.query_one("#decision-summary", Static).render())
        assert "launch failed: codex is not installed" in "\n".join(composer.query_one("#progress", Log).lines)
        fake_services.decide = failing("the router state is unreadable")
        composer.query_one("#task", Input).focus()
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert "No decision: the router state is unreadable" in str(
            composer.query_one("#decision-summary", Static).render())


async def test_a_failed_export_keeps_the_review_and_a_failed_review_says_so(fake_services: FakeServices,
                                                                          tmp_path: Path) -> None:
    app = CodexRouterApp(fake_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("f6")
        await wait_for_workers(pilot)
        sprint = app.screen
        fake_services.export = failing("cannot export: disk full")
        sprint.export(sprint.data, tmp_path, "csv")
        await wait_for_workers(pilot)
        assert "runs" in str(sprint.query_one("#sprint-totals", Static).render())
        assert any(n.title == "export" and "disk full" in n.message for n in app._notifications)
        fake_services.sprint = failing("the database is locked")
        sprint.action_show_range()
        await wait_for_workers(pilot)
        assert "No review: the database is locked" in str(sprint.query_one("#sprint-totals", Static).render())


@pytest.mark.parametrize(("size", "narrow"), [((60, 30), True), ((200, 50), False)])
async def test_layouts(fake_services: FakeServices, size: tuple[int, int], narrow: bool) -> None:
    app = CodexRouterApp(fake_services, watch=False)
    async with app.run_test(size=size) as pilot:
        await wait_for_workers(pilot)
        screen = app.dashboard
        assert screen.has_class("-narrow") is narrow
        totals, wins = screen.query_one("#totals").region, screen.query_one("#winrates").region
        if narrow:  # stacked, full width, one under the other
            assert totals.width >= 56 and wins.y > totals.y and wins.x == totals.x
        else:  # side by side
            assert wins.y == totals.y and wins.x > totals.x
        await pilot.press("f3")
        await wait_for_workers(pilot)
        priors, settings = app.screen.query_one("#priors-pane").region, app.screen.query_one("#settings-pane").region
        assert (settings.y > priors.y) if narrow else (settings.x > priors.x)


async def test_keymap_help_and_palette(fake_services: FakeServices) -> None:
    app = CodexRouterApp(fake_services, watch=False,
                         config=TuiConfig(keymap={"open-router": "f9", "no-such-id": "f10"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_workers(pilot)
        assert any("no-such-id" in n.message for n in app._notifications)
        await pilot.press("f9")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, RouterScreen)
        await pilot.press("f1")
        rows = str(app.screen.query_one("#help-text", Static).render())
        assert "f9" in rows and "(open-router)" in rows and "[keymap]" in rows  # markup shown as written
        # ctrl+s means one thing on Router and another on Sprint review: each under its screen's heading
        router, sprint = rows.index("\nRouter\n"), rows.index("\nSprint review\n")
        assert router < rows.index("(router-save)") < sprint < rows.index("(sprint-export-csv)")
        await pilot.press("escape")
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert {"Router control", "Route composer", "Sprint review", "Router: Save"} <= set(commands)
        assert commands["Router: Save"] == "key ctrl+s" and "Screen" not in " ".join(commands.values())


def test_cli_help_and_bad_poll(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0 and "--demo" in capsys.readouterr().out
    assert main(["--poll", "0"]) == 2
    assert "--poll" in capsys.readouterr().err


def test_fixture_is_the_shipped_one() -> None:
    assert FIXTURE_LOG.exists() and SessionPaths  # the snapshot tests depend on it


async def test_a_hung_up_terminal_makes_the_app_quit(fake_services: FakeServices, monkeypatch) -> None:
    """Closing the window under `make demo` sends no SIGHUP to the app; it notices the terminal is gone and quits."""
    import tui.app as app_module

    monkeypatch.setattr(app_module, "_stdin_is_tty", lambda: True)
    app = RecordingApp(fake_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_workers(pilot)
        assert "terminal-check" in {timer.name for timer in app._timers}
        app._exit_if_terminal_gone()
        assert app.return_code is None  # still a terminal: keeps running
        monkeypatch.setattr(app_module, "_stdin_is_tty", lambda: False)
        app._exit_if_terminal_gone()
        await pilot.pause()
    assert app.return_code == app_module.TERMINAL_GONE_RC


async def test_narrow_win_rates_page_whole_columns_and_the_full_table_is_a_key_away(
        fake_services: FakeServices) -> None:
    app = CodexRouterApp(fake_services, watch=False)
    async with app.run_test(size=(50, 30)) as pilot:
        await wait_for_workers(pilot)
        table = app.dashboard.query_one("#winrates", WinRateTable)
        first, last, total = table.pages
        assert (first, total) == (0, 3) and last < total  # not every model fits 50 columns
        assert f"+{total - last} more" in table.border_subtitle
        assert "n=" in table_text(table)  # whole cells: the count is never cut
        await pilot.press("w", "right_square_bracket")
        assert table.pages[0] == last and table.has_focus
        await pilot.press("x")
        full = app.screen.query_one("#winrates-all", WinRateTable)
        assert len(full.columns) == 1 + total  # every model
        await pilot.press("escape")


async def test_feed_pause_filter_and_route_detail(fake_services: FakeServices, log_copy: Path) -> None:
    app = RecordingApp(fake_services, watch=False)
    async with app.run_test(size=(60, 30)) as pilot:
        await wait_for_workers(pilot)
        feed = app.dashboard.query_one("#feed", RecentFeed)
        assert feed.narrow and [str(c.label) for c in feed.columns.values()] == ["time", "model", "score", "cost",
                                                                                   "what"]
        await pilot.press("p")
        assert feed.paused and "paused" in feed.border_subtitle
        append_event(log_copy, {"event": "outcome", "task_id": "t-paused", "model": "gpt-5.4", "score": 1.0, "dimension": "agentic",
                                "cost_usd": 0.5, "status": "ok", "ts": "2026-11-12T17:00:00.000Z"})
        await pilot.press("f5")
        await wait_for_workers(pilot)
        assert feed.current()["task_id"] != "t-paused"  # held still while paused
        await pilot.press("p")
        assert feed.current()["task_id"] == "t-paused"  # following again: the newest first
        await pilot.press("slash", *"qwen", "enter")
        assert feed.shown_rows and all("qwen" in r["model"] for r in feed.shown_rows)
        assert "filter 'qwen'" in feed.border_subtitle
        task_id = feed.current()["task_id"]
        await pilot.press("enter")
        await wait_for_workers(pilot)
        detail = app.screen
        assert detail.detail.task_id == task_id
        text = str(detail.query_one("#detail-body", Static).render())
        assert "Decision" in text and "Outcome" in text and "qwen3.5-plus" in text
        await pilot.press("escape")
        assert app.screen is app.dashboard


async def test_a_burst_of_log_events_costs_at_most_two_ingests(fake_services: FakeServices) -> None:
    """While an ingest runs, any number of file events queue exactly one more, never a second thread beside it."""
    gate = threading.Event()
    ingest = fake_services.ingest
    running: list[int] = []

    def slow_ingest() -> FeedData:
        running.append(1)
        assert len(running) == 1, "two ingests at once"
        gate.wait(10)
        running.pop()
        return ingest()

    fake_services.ingest = slow_ingest
    app = CodexRouterApp(fake_services, watch=False, load_embedder=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert any(w.group == "ingest" and not w.is_finished for w in app.workers)  # the first, held at the gate
        for _ in range(5):
            app.post_message(LogChanged())
            await pilot.pause()
        gate.set()
        await wait_for_workers(pilot)
        assert not any(n.severity == "error" for n in app._notifications)
    assert fake_services.refreshes == 2
