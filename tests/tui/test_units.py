"""The small pieces under the screens: config file, stat-poll fallback, ranges, exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from analytics.logwriter import append_event
from tui.config import ConfigError, load_config
from tui.services import ServiceError, _range_bounds, write_export
from tui.watch import LogWatcher

NOW = datetime(2026, 11, 12, 18, 0, tzinfo=UTC)


def test_config_good_and_bad(tmp_path: Path) -> None:
    path = tmp_path / "tui.toml"
    assert load_config(path).poll == 1.0  # no file: defaults
    path.write_text('poll = 0.5\n[keymap]\nopen-router = "f9"\n')
    config = load_config(path)
    assert config.poll == 0.5 and config.keymap == {"open-router": "f9"}
    for text, needle in (("poll = 0\n", "poll"), ("colour = 1\n", "colour"), ("poll = [\n", "TOML"),
                         ("[keymap]\nhelp = 3\n", "keymap")):
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


def test_ranges() -> None:
    since, until, label = _range_bounds("today", None, NOW)
    assert since == datetime(2026, 11, 12, tzinfo=UTC) and until == NOW and label == "Today"
    assert _range_bounds("14d", None, NOW)[0] == datetime(2026, 10, 30, tzinfo=UTC)
    with pytest.raises(ServiceError, match="YYYY-MM-DD"):
        _range_bounds("custom", "12/11/2026", NOW)
    with pytest.raises(ServiceError, match="future"):
        _range_bounds("custom", "2027-01-01", NOW)


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

    assert format_value("cost_usd", 1.5) == "$1.50" and format_value("spend", 0.25) == "$0.2500"
    assert format_value("perf_per_usd", 13.18) == "13.18"
    assert str(format_value("cost_usd", None)) == "unpriced" and format_value("perf_per_usd", None) == "—"
