"""The Textual app: owns the services object, the log watcher and the ingest/embedding workers.

Workers only call ``Services`` and post messages to the screen whose data they carry (the dashboard's panels
to the dashboard); each screen's handlers own its widgets, and the messages bubble on to the app for what is
app-wide (notifications, starting the embedding model, telling the router screen what was learned).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

from tui.config import TuiConfig
from tui.errors import ServiceError
from tui.messages import (
    BannerChanged,
    DashboardRefreshed,
    EmbedderState,
    FeedRefreshed,
    LogChanged,
    Operation,
    RegretRefreshed,
    RouterLearned,
    ServiceFailed,
    StatusChanged,
)
from tui.screens.composer import ComposerScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import RouteDetailScreen, WinRatesScreen
from tui.screens.help import HelpScreen
from tui.screens.router import RouterScreen
from tui.screens.sprint import SprintScreen
from tui.services import Services
from tui.watch import LogWatcher

T = TypeVar("T")
REGRET_MIN_GAP_S = 1.0
TERMINAL_CHECK_S = 1.0
EMBEDDER_DELAY_S = 2.0
TERMINAL_GONE_RC = 129  # 128 + SIGHUP, what a shell reports for a hung-up job


def _stdin_is_tty() -> bool:
    try:
        return os.isatty(sys.__stdin__.fileno())
    except (AttributeError, OSError, ValueError):
        return False


class CodexRouterApp(App):
    """codex-router-tui: live routing dashboard, router control, route composer and sprint review."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live in other folders
    TITLE = "codex-router-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="help"),
        Binding("f2", "show_mode('dashboard')", "Dashboard", id="open-dashboard"),
        Binding("f3", "show_mode('router')", "Router", id="open-router"),
        Binding("f4", "show_mode('composer')", "Compose", id="open-composer"),
        Binding("f6", "show_mode('sprint')", "Sprint", id="open-sprint"),
        Binding("f5", "refresh", "Refresh", id="refresh"),
        Binding("ctrl+q", "quit", "Quit", id="quit"),
    ]
    SCREENS = {"dashboard": DashboardScreen, "router": RouterScreen}  # installed: workers post to them by name
    MODES = {
        "dashboard": "dashboard",
        "router": "router",
        "composer": ComposerScreen,
        "sprint": SprintScreen,
    }
    PALETTE = {
        "help": ("Help", "every key, its id (for [keymap] in tui.toml) and what it does"),
        "open-dashboard": ("Dashboard", "live panels: totals, win rates, Perf/$, regret, spend, feed"),
        "open-router": ("Router control", "priors, ε weights, k, threshold, exploration; what-if before Save"),
        "open-composer": ("Route composer", "type a task, see the decision, override, launch"),
        "open-sprint": ("Sprint review", "spend by model/dimension/project, Always-<model>, export"),
        "refresh": ("Refresh now", "ingest new log lines and re-run every query"),
    }

    def __init__(self, services: Services, config: TuiConfig | None = None, config_error: str = "",
                 load_embedder: bool = True, watch: bool = True) -> None:
        super().__init__()
        self.services = services
        self.config = config or TuiConfig()
        self.config_error = config_error
        self.load_embedder_on_start = load_embedder
        self.embedder_state = "loading" if load_embedder else "not loaded"
        self.watch_files = watch
        self.watcher: LogWatcher | None = None
        self._rerun: set[str] = set()  # worker groups to run once more when their running worker ends
        self._have_aggregates = False
        self._regret_next = 0.0
        self._regret_timer: Timer | None = None
        self._embedder_timer: Timer | None = None
        session = services.session
        self.sub_title = (f"DEMO — sample_logs/ ({session.reason}); writes go to a temp folder"
                          if session.demo else ", ".join(str(p) for p in session.logs))

    # -- start-up ------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._apply_keymap()
        self.switch_mode("dashboard")
        if self.config_error:
            self.report_error(f"config: {self.config_error} (defaults used)")
        session = self.services.session
        for log in session.logs:
            if not log.exists() and not (session.demo and log == session.write_log):
                self.notify(f"{log} does not exist yet; it is watched and read as soon as it appears",
                            severity="warning")
        if self.watch_files:
            self.watcher = LogWatcher(self.services.session.logs, lambda: self.post_message(LogChanged()))
            for problem in self.watcher.start():
                self.notify(f"not watching {problem}; polling instead", severity="warning")
            self.set_interval(self.config.poll, self._stat_poll, name="stat-poll")
        if self.load_embedder_on_start:  # after the first data is on screen (or 2 s): torch's import is CPU-bound
            self._embedder_timer = self.set_timer(EMBEDDER_DELAY_S, self._start_embedder)
        if _stdin_is_tty():
            self.set_interval(TERMINAL_CHECK_S, self._exit_if_terminal_gone, name="terminal-check")
        self._update_status()
        self.post_message(LogChanged())

    def _exit_if_terminal_gone(self) -> None:
        """Quit when the terminal hung up (its window closed while `make demo` led the session): no SIGHUP
        reaches us then, and Textual's input thread would spin on the dead tty at full CPU."""
        if not _stdin_is_tty():
            self.exit(return_code=TERMINAL_GONE_RC)

    def _apply_keymap(self) -> None:
        known = {b.id for b in self.all_bindings() if b.id}
        unknown = sorted(set(self.config.keymap) - known)
        if unknown:
            self.report_error(f"config: unknown binding id(s) in [keymap]: {', '.join(unknown)}")
        self.set_keymap({k: v for k, v in self.config.keymap.items() if k in known})

    def all_bindings(self) -> list[Binding]:
        """The app's and every screen's bindings (what the help screen lists and the keymap can remap)."""
        return [b for _where, bindings in self.binding_groups() for b in bindings]

    def binding_groups(self) -> list[tuple[str, list[Binding]]]:
        """Bindings by where they work: everywhere, then each screen (the same key may differ by screen)."""
        groups = [("Everywhere", [b for b in self.BINDINGS if isinstance(b, Binding)])]
        for screen in (DashboardScreen, RouterScreen, ComposerScreen, SprintScreen, RouteDetailScreen,
                       WinRatesScreen):
            bindings = [b for b in getattr(screen, "BINDINGS", []) if isinstance(b, Binding)]
            if bindings:
                groups.append((screen_label(screen), bindings))
        return groups

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.services.close()

    # -- live ingest ---------------------------------------------------------------------------------
    def _stat_poll(self) -> None:
        if self.watcher is not None and self.watcher.poll():
            self.post_message(LogChanged())

    @on(LogChanged)
    def _log_changed(self) -> None:
        self._request("ingest")

    def _request(self, group: str) -> None:
        """Start the group's worker, or, when one is running, run it once more when that one ends.

        A burst of file events thus costs at most two ingests, and slow queries never pile up threads.
        """
        if any(worker.group == group and not worker.is_finished for worker in self.workers):
            self._rerun.add(group)
            return
        (self.ingest if group == "ingest" else self.refresh_regret)()

    def action_refresh(self) -> None:
        self.post_message(LogChanged())

    @work(thread=True, exclusive=True, group="ingest")
    def ingest(self) -> None:
        """Feed first (the cheap query), then the aggregates only when something new arrived."""
        feed = self.call_service(self, Operation.INGEST, lambda s: s.ingest())
        if feed is None:
            return
        self._post_to("dashboard", FeedRefreshed(feed))
        if feed.new_events or not self._have_aggregates:
            data = self.call_service(self, Operation.INGEST, lambda s: s.aggregates())
            if data is not None:
                self._have_aggregates = True
                self._post_to("dashboard", DashboardRefreshed(data))

    @work(thread=True, exclusive=True, group="regret")
    def refresh_regret(self) -> None:
        """The slowest query, off the ingest path so new lines reach the other panels without waiting."""
        started = time.monotonic()
        data = self.call_service(self, Operation.REGRET, lambda s: s.regret())
        self._regret_next = time.monotonic() + max(REGRET_MIN_GAP_S, 2 * (time.monotonic() - started))
        if data is not None:
            self._post_to("dashboard", RegretRefreshed(data))

    def call_service(self, target: MessagePump, operation: Operation, call: Callable[[Services], T]) -> T | None:
        """Run ``call`` (in a worker thread); a failure becomes a ServiceFailed message to ``target``.

        Unexpected exceptions are reported the same way (and logged with their traceback to the Textual
        log), so a bug in one panel's query never takes the whole dashboard down.
        """
        try:
            return call(self.services)
        except ServiceError as exc:
            text = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a traceback on screen
            self.log.error(traceback.format_exc())
            text = f"unexpected {type(exc).__name__}: {exc}"
        target.post_message(ServiceFailed(operation, text))
        return None

    @property
    def dashboard(self) -> DashboardScreen:
        return self.get_screen("dashboard")  # type: ignore[return-value]

    def _post_to(self, name: str, message: Message) -> None:
        """Post to an installed screen (from any thread); at exit the screens are gone and a late message with them."""
        if self.is_screen_installed(name):
            self.get_screen(name).post_message(message)

    @on(FeedRefreshed)
    def _fed(self, message: FeedRefreshed) -> None:
        """After the dashboard showed the feed: a good refresh clears the banner; say what else happened."""
        self._post_to("dashboard", BannerChanged(""))
        if message.data.learned:
            self._router_learned()
        if message.data.new_malformed:
            self.notify(f"{message.data.new_malformed} malformed log line(s) skipped", severity="warning")

    def _start_embedder(self) -> None:
        if self._embedder_timer is not None:
            self._embedder_timer.stop()
            self._embedder_timer = None
            self.load_embedder()

    @on(DashboardRefreshed)
    def _dashboard_shown(self) -> None:
        self.call_after_refresh(self._start_embedder)
        self._want_regret()

    def _want_regret(self) -> None:
        """Regret is the slowest query (seconds on a million events): it refreshes after new data, but
        never more often than twice its own duration, so ingests keep most of the CPU."""
        wait = self._regret_next - time.monotonic()
        if wait <= 0:
            self._request("regret")
        elif self._regret_timer is None:
            self._regret_timer = self.set_timer(wait, self._regret_timer_fired)

    def _regret_timer_fired(self) -> None:
        self._regret_timer = None
        self._request("regret")

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if event.worker.is_finished and group in self._rerun:
            self._rerun.discard(group)
            self._request(group)

    def _router_learned(self) -> None:
        """The router screen, once it has been opened, shows the new counts."""
        if self.is_screen_installed("router") and self.get_screen("router").is_mounted:
            self._post_to("router", RouterLearned())

    @on(ServiceFailed)
    def _service_failed(self, message: ServiceFailed) -> None:
        self.report_error(f"{message.operation.label}: {message.message}")

    def report_error(self, text: str) -> None:
        """A notification now and a banner that stays on the dashboard until the next good refresh."""
        self.notify(text, severity="error", timeout=8)
        self._post_to("dashboard", BannerChanged(text))

    # -- embedding model -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="embedder")
    def load_embedder(self) -> None:
        self.post_message(EmbedderState("loading"))
        try:
            self.services.load_embedder()
        except Exception as exc:  # noqa: BLE001 - the dashboard keeps running without the composer
            self.post_message(EmbedderState("failed", str(exc)))
            return
        self.post_message(EmbedderState("ready"))
        self.call_service(self, Operation.ROUTER_MEMORY, lambda s: s.ensure_memory())
        self.call_from_thread(self._router_learned)

    @on(EmbedderState)
    def _embedder_state(self, message: EmbedderState) -> None:
        self.embedder_state = message.state
        if message.state == "failed":
            self.report_error(message.detail)
        self._update_status()

    def _update_status(self) -> None:
        session = self.services.session
        label = {"loading": "loading…", "ready": "ready", "failed": "failed"}.get(self.embedder_state,
                                                                                   self.embedder_state)
        logs = f"{len(session.logs)} logs" if len(session.logs) > 1 else str(session.logs[0])
        self._post_to("dashboard", StatusChanged(f"embedding model {label} · following {logs} · DB {session.db}"))

    # -- navigation ----------------------------------------------------------------------------------
    def action_show_mode(self, mode: str) -> None:
        self.switch_mode(mode)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.binding_groups(), self.current_keys()))

    def current_keys(self) -> dict[str, str]:
        """Binding id → the keys that trigger it now (after the user's keymap)."""
        keymap = self.config.keymap
        return {b.id: keymap.get(b.id, b.key) for b in self.all_bindings() if b.id}

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        actions = {"help": self.action_help, "refresh": self.action_refresh}
        for binding_id, (title, help_text) in self.PALETTE.items():
            if binding_id.startswith("open-"):
                mode = binding_id.removeprefix("open-")
                yield SystemCommand(title, help_text, lambda m=mode: self.switch_mode(m))
            else:
                yield SystemCommand(title, help_text, actions[binding_id])
        keys = self.current_keys()
        where = screen_label(type(screen))
        for binding in getattr(screen, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id and binding.description:
                yield SystemCommand(f"{where}: {binding.description}", f"key {keys.get(binding.id, binding.key)}",
                                    lambda b=binding, s=screen: s.run_action(b.action))


def screen_label(screen: type) -> str:
    """A screen's name for people (the help's and the palette's), not its class name."""
    return getattr(screen, "LABEL", screen.__name__.removesuffix("Screen"))
