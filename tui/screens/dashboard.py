"""The main screen: every live panel at once (a grid when wide, a scrolling stack when narrow)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from analytics.metrics import WIN_THRESHOLD
from tui.messages import BannerChanged, DashboardRefreshed, FeedRefreshed, RegretRefreshed, StatusChanged
from tui.screens.detail import RouteDetailScreen, WinRatesScreen
from tui.widgets.panels import (
    WIN_RULE,
    PerfPerDollarBars,
    RecentFeed,
    RegretChart,
    SpendChart,
    TotalsPanel,
    WinRateTable,
)


class DashboardScreen(Screen):
    LABEL = "Dashboard"
    BINDINGS = [
        Binding("w", "focus_panel('winrates')", "Win rates", id="dashboard-winrates"),
        Binding("right_square_bracket", "models(1)", "Next models", id="winrates-next"),
        Binding("left_square_bracket", "models(-1)", "Previous models", id="winrates-previous"),
        Binding("x", "full_winrates", "Full win-rate table", id="winrates-full"),
        Binding("l", "focus_panel('feed')", "Feed", id="dashboard-feed"),
        Binding("p", "pause_feed", "Pause/follow feed", id="feed-pause"),
        Binding("slash", "filter_feed", "Filter feed", id="feed-filter"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        yield Static("", id="status")
        with VerticalScroll(id="panels"):
            yield TotalsPanel("waiting for the first ingest…", id="totals")
            yield WinRateTable(id="winrates")
            yield PerfPerDollarBars(id="perf")
            yield RegretChart(id="regret")
            yield SpendChart(id="spend")
            with Vertical(id="feed-box"):
                yield Input(placeholder="filter: model, task, status… (Enter applies, empty clears)",
                            id="feed-filter")
                yield RecentFeed(id="feed")
                yield Static("", id="feed-task")
        yield Footer()

    def on_mount(self) -> None:
        titles = {"totals": "Totals", "winrates": f"Win rate (score ≥ {WIN_THRESHOLD}) · x: all",
                  "perf": "Cost-efficiency per model", "regret": "Regret", "spend": "Spend over time",
                  "feed-box": "Latest routes & outcomes"}
        for widget_id, title in titles.items():
            self.query_one(f"#{widget_id}").border_title = title
        self.query_one("#feed-filter").display = False
        self.query_one("#banner").display = False

    # The app's workers post these here; they bubble on to the app afterwards. Data can arrive while the
    # screen is being torn down at exit: ``query`` (not ``query_one``) makes a late message a no-op.
    @on(DashboardRefreshed)
    def _show(self, message: DashboardRefreshed) -> None:
        data = message.data
        for totals in self.query(TotalsPanel):
            totals.update_data(data.totals)
        for table in self.query(WinRateTable):
            table.update_data(data.win_rates)
        for chart in self.query(PerfPerDollarBars):
            chart.update_data(data.perf)
        for spend in self.query(SpendChart):
            spend.update_data(data.spend)

    @on(FeedRefreshed)
    def _show_feed(self, message: FeedRefreshed) -> None:
        for feed in self.query(RecentFeed):
            feed.update_data(message.data.recent)
            self._show_task(feed)

    @on(RegretRefreshed)
    def _show_regret(self, message: RegretRefreshed) -> None:
        data = message.data
        for totals in self.query(TotalsPanel):
            totals.update_regret(data)
        for chart in self.query(RegretChart):
            chart.update_data(data.frame, data.kind)

    @on(StatusChanged)
    def _status(self, message: StatusChanged) -> None:
        for status in self.query("#status").results(Static):
            status.update(message.text)

    @on(BannerChanged)
    def _banner(self, message: BannerChanged) -> None:
        for banner in self.query("#banner").results(Static):
            banner.update(message.text)
            banner.display = bool(message.text)

    # -- keys ----------------------------------------------------------------------------------------
    def action_focus_panel(self, panel_id: str) -> None:
        widget = self.query_one(f"#{panel_id}")
        widget.focus()
        widget.scroll_visible()

    def action_models(self, step: int) -> None:
        self.query_one(WinRateTable).page(step)

    def action_full_winrates(self) -> None:
        table = self.query_one(WinRateTable)
        if table.frame is not None:
            self.app.push_screen(WinRatesScreen(table.frame, WIN_RULE))

    def action_pause_feed(self) -> None:
        feed = self.query_one(RecentFeed)
        feed.set_paused(not feed.paused)

    def action_filter_feed(self) -> None:
        box = self.query_one("#feed-filter", Input)
        box.display = True
        box.focus()
        self.query_one("#feed-box").scroll_visible()

    @on(Input.Submitted, "#feed-filter")
    def _filter(self, event: Input.Submitted) -> None:
        feed = self.query_one(RecentFeed)
        feed.set_filter(event.value)
        event.input.display = bool(event.value.strip())
        feed.focus()

    @on(DataTable.RowHighlighted, "#feed")
    def _feed_row(self, event: DataTable.RowHighlighted) -> None:
        self._show_task(self.query_one(RecentFeed))

    def _show_task(self, feed: RecentFeed) -> None:
        """Under a narrow feed: the highlighted row's task text (the table has no room for it)."""
        row = feed.current()
        line = self.query_one("#feed-task", Static)
        line.display = bool(feed.narrow and row)
        if row:
            line.update(f"{row.get('task_id') or ''}: {row.get('task') or '(no task text logged)'}")

    @on(DataTable.RowSelected, "#feed")
    def _feed_selected(self, event: DataTable.RowSelected) -> None:
        row = self.query_one(RecentFeed).current()
        if row and row.get("task_id"):
            self.app.push_screen(RouteDetailScreen(row["task_id"]))
