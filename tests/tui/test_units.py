"""The small pieces under the screens: config file, stat-poll fallback, ranges, exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from analytics.logwriter import append_event
from tui.config import ConfigError, load_config
from tui.errors import ServiceError
from tui.export import write_export
from tui.review_range import review_range
from tui.watch import LogWatcher

NOW = datetime(2026, 11, 12, 18, 0, tzinfo=UTC)


def test_config_good_and_bad(tmp_path: Path) -> None:
    path = tmp_path / "tui.toml"
    assert load_config(path).poll == 1.0  # no file: defaults
    path.write_text('poll = 0.5\n[keymap]\nopen-router = "f9"\n')
    config = load_config(path)
    assert config.poll == 0.5 and config.keymap == {"open-router": "f9"}
    assert load_config(path).sprint_days == 14
    path.write_text("sprint_days = 10\n")
    assert load_config(path).sprint_days == 10
    for text, needle in (("poll = 0\n", "poll"), ("colour = 1\n", "colour"), ("poll = [\n", "TOML"),
                         ("[keymap]\nhelp = 3\n", "keymap"), ("sprint_days = 0\n", "sprint_days")):
        path.write_text(text)
        with pytest.raises(ConfigError, match=needle) as exc:
            load_config(path)
        assert str(path) in str(exc.value)


def test_stat_poll_sees_append_rotation_and_creation(tmp_path: Path) -> None:
    log = tmp_path / "routing_log.jsonl"
    watcher = LogWatcher([log], notify=lambda: None)
    assert watcher.poll() is False  # first look only records the state
    append_event(log, {"event": "tool", "tool": "shell"})
    assert watcher.poll() is True
    assert watcher.poll() is False
    log.rename(tmp_path / "old.jsonl")
    append_event(log, {"event": "tool", "tool": "shell"})
    assert watcher.poll() is True


def test_watchdog_calls_notify_on_append(tmp_path: Path) -> None:
    import threading

    log = tmp_path / "routing_log.jsonl"
    seen = threading.Event()
    watcher = LogWatcher([log], notify=seen.set)
    assert watcher.start() == []
    try:
        append_event(log, {"event": "tool", "tool": "shell"})
        assert seen.wait(5)
    finally:
        watcher.stop()


def test_review_ranges() -> None:
    from datetime import date

    latest = datetime(2026, 11, 27, 16, 51)
    assert review_range("today", None, None, NOW, latest, 14) == (date(2026, 11, 12), date(2026, 11, 12), "Today")
    assert review_range("week", None, None, NOW, latest, 14)[0] == date(2026, 11, 9)  # Monday
    assert review_range("14d", None, None, NOW, latest, 14)[:2] == (date(2026, 10, 30), date(2026, 11, 12))
    assert review_range("sprint", None, None, NOW, latest, 10)[:2] == (date(2026, 11, 18), date(2026, 11, 27))
    # auto: the last 7 days when they hold data, else the last sprint ending at the latest data
    assert review_range("auto", None, None, NOW, datetime(2026, 11, 10), 14)[2] == "Last 7 days"
    later = datetime(2027, 1, 5, tzinfo=UTC)
    first, last, label = review_range("auto", None, None, later, latest, 14)
    assert (first, last) == (date(2026, 11, 14), date(2026, 11, 27)) and "none in the last 7 days" in label
    # custom: start and end, either spelling; end empty = today
    assert review_range("custom", "20261101", "2026-11-05", NOW, latest, 14)[:2] == (date(2026, 11, 1),
                                                                                      date(2026, 11, 5))
    assert review_range("custom", "2026-11-01", None, NOW, latest, 14)[1] == date(2026, 11, 12)
    for start, end, needle in (("12/11/2026", None, "YYYYMMDD"), ("2026-11-05", "2026-11-01", "before"),
                               ("", None, "start day"), ("2026-11-01", "2026-13-01", "end")):
        with pytest.raises(ServiceError, match=needle):
            review_range("custom", start, end, NOW, latest, 14)


def test_export_is_atomic_and_flattens_nested(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": [1, 2], "tags": [["x"], ["y", "z"]]})
    out = write_export(frame, tmp_path / "sub" / "range", "csv")
    assert out.name == "range.csv" and pl.read_csv(out).height == 2
    assert pl.read_parquet(write_export(frame, tmp_path / "r.parquet", "parquet"))["tags"].to_list()[1] == ["y", "z"]
    with pytest.raises(ServiceError, match="csv or parquet"):
        write_export(frame, tmp_path / "r", "xlsx")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ServiceError, match="cannot export"):
        write_export(frame, blocker / "x", "csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "r.parquet", "sub"]


def test_dollar_columns_are_money_and_ratios_per_dollar_are_not() -> None:
    from tui.widgets.tables import format_value

    assert format_value("cost_usd", 1.5) == "$1.50" and format_value("spend", 0.25) == "$0.25"
    assert format_value("cost_usd", 0.0067) == "$0.0067" and format_value("cost_usd", 0.000123) == "$0.00012"
    assert format_value("perf_per_dollar", 13.18) == "13.2" and format_value("points_per_usd", 1013.56) == "1,014"
    assert str(format_value("cost_usd", None)) == "unpriced" and format_value("perf_per_dollar", None) == "—"


@pytest.mark.parametrize("implementation", ["LiveServices", "FakeServices"])
def test_services_implementations_match_the_protocol(implementation: str) -> None:
    """Both implement every method of the ``Services`` protocol with its parameters (neither subclasses it)."""
    import inspect

    from tui_support import FakeServices

    from tui.live_services import LiveServices
    from tui.services import Services

    cls = {"LiveServices": LiveServices, "FakeServices": FakeServices}[implementation]
    assert Services not in cls.__mro__
    for name, member in vars(Services).items():
        if callable(member) and not name.startswith("_"):
            expected = list(inspect.signature(member).parameters)
            assert list(inspect.signature(getattr(cls, name)).parameters) == expected, name
