"""The main screen: every live panel at once (a grid when wide, a scrolling stack when narrow)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tui.viewdata import DashboardData, FeedData, RegretData
from tui.widgets.panels import (
    PerfPerDollarChart,
    RecentFeed,
    RegretChart,
    SpendChart,
    TotalsPanel,
    WinRateTable,
)


class DashboardScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        yield Static("", id="status")
        with VerticalScroll(id="panels"):
            yield TotalsPanel("waiting for the first ingest…", id="totals")
            yield WinRateTable(id="winrates")
            yield PerfPerDollarChart(id="perf")
            yield RegretChart(id="regret")
            yield SpendChart(id="spend")
            yield RecentFeed(id="feed")
        yield Footer()

    def on_mount(self) -> None:
        titles = {"totals": "Totals", "winrates": "Win rate by dimension × model (★ leader)",
                  "perf": "Perf/$", "regret": "Regret", "spend": "Spend over time", "feed": "Latest routes & outcomes"}
        for widget_id, title in titles.items():
            self.query_one(f"#{widget_id}").border_title = title
        app = self.app
        app.dashboard = self
        self.set_status(app.status_text)
        self.set_banner(app.banner_text)
        if app.last_data is not None:
            self.show(app.last_data)
        if app.last_feed is not None:
            self.show_feed(app.last_feed)
        if app.last_regret is not None:
            self.show_regret(app.last_regret)

    # Data can arrive while the screen is being torn down at exit: ``query`` (not ``query_one``) makes
    # a late message a no-op instead of an error.
    def show(self, data: DashboardData) -> None:
        for totals in self.query(TotalsPanel):
            totals.update_data(data.totals)
        for table in self.query(WinRateTable):
            table.update_data(data.win_rates)
        for chart in self.query(PerfPerDollarChart):
            chart.update_data(data.perf_per_usd)
        for spend in self.query(SpendChart):
            spend.update_data(data.spend)

    def show_feed(self, data: FeedData) -> None:
        for feed in self.query(RecentFeed):
            feed.update_data(data.recent)

    def show_regret(self, data: RegretData) -> None:
        for totals in self.query(TotalsPanel):
            totals.update_regret(data)
        for chart in self.query(RegretChart):
            chart.update_data(data.frame, data.kind)

    def set_status(self, text: str) -> None:
        for status in self.query("#status").results(Static):
            status.update(text)

    def set_banner(self, text: str) -> None:
        for banner in self.query("#banner").results(Static):
            banner.update(text)
            banner.display = bool(text)
