"""ccusage-style usage views: tokens and cost per day/week/month/session and model, in a chosen time zone,
over routed runs and Codex rollouts together (`spend_queries.usage_by_period`, `codex-router report daily|...`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from routing_fixtures import line, write

from analytics import spend_queries
from analytics.ingest import LogIngester
from analytics.rollout_ingest import RolloutIngester
from analytics.store import Store
from hooks.cli import main

SESSION = "0193-codex-only"


def outcome(ts: str, task: str, model: str, cost: float | None, inp: int, cached: int, out: int, reasoning: int,
            **extra) -> str:
    fields = {} if cost is None else {"cost_usd": cost}
    return line(v=1, ts=ts, event="outcome", task_id=task, model=model, score=1.0, cwd="/p/alpha",
                tokens={"input": inp, "cached_input": cached, "output": out, "reasoning": reasoning}, **fields, **extra)


def rollout(home: Path) -> Path:
    """A Codex-only session in /p/codex on Tue Nov 3: gpt-5.4 uses 1000 in (200 cached) / 100 out (40 reasoning)."""
    path = home / "sessions/2026/11/03/rollout-2026-11-03T09-00-00-codex-only.jsonl"
    path.parent.mkdir(parents=True)
    total = {"input_tokens": 1000, "cached_input_tokens": 200, "output_tokens": 100, "reasoning_output_tokens": 40}
    records = [{"timestamp": "2026-11-03T09:00:00Z", "type": "session_meta",
                "payload": {"id": SESSION, "timestamp": "2026-11-03T09:00:00Z", "cwd": "/p/codex"}},
               {"timestamp": "2026-11-03T09:00:01Z", "type": "turn_context", "payload": {"model": "gpt-5.4"}},
               {"timestamp": "2026-11-03T09:10:00Z", "type": "event_msg",
                "payload": {"type": "token_count", "info": {"total_token_usage": total, "last_token_usage": total}}}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def usage_log(tmp_path: Path) -> Path:
    """Runs on each side of midnight UTC (Nov 1/2, Sun/Mon); one unpriced model; a run in December."""
    log = tmp_path / "routing_log.jsonl"
    write(log, outcome("2026-11-01T23:30:00Z", "t1", "glm-5", 0.01, 100, 10, 20, 5, session_id="s-1"),
          outcome("2026-11-02T00:30:00Z", "t2", "glm-5", 0.02, 200, 20, 40, 10, session_id="s-1"),
          outcome("2026-11-02T12:00:00Z", "t3", "mystery-model", None, 50, 0, 5, 0),
          outcome("2026-12-01T03:00:00Z", "t4", "glm-5", 0.04, 400, 0, 80, 0), mode="w")
    return log


@pytest.fixture
def usage_store(store: Store, usage_log: Path, tmp_path: Path) -> Store:
    home = tmp_path / "codex"
    rollout(home)
    RolloutIngester(store, home).poll()
    LogIngester(store, [usage_log]).poll()
    return store


def by(frame: pl.DataFrame, *keys: str) -> dict:
    return {tuple(str(r[k]) for k in keys): r for r in frame.to_dicts()}


def test_days_follow_the_time_zone(usage_store: Store) -> None:
    utc = by(spend_queries.usage_by_period(usage_store, "day"), "period", "model")
    assert {k for k in utc if k[1] == "glm-5"} == {("2026-11-01", "glm-5"), ("2026-11-02", "glm-5"),
                                                    ("2026-12-01", "glm-5")}
    berlin = by(spend_queries.usage_by_period(usage_store, "day", tz="Europe/Berlin"), "period", "model")
    both = berlin[("2026-11-02", "glm-5")]  # 00:30 and 01:30 in Berlin: one day
    # as ccusage counts: input without the cached part (the log says 100 + 200 with 10 + 20 cached)
    assert (both["input"], both["cached_input"], both["output"], both["reasoning"]) == (270, 30, 60, 15)
    assert both["total_tokens"] == 360 and both["runs"] == 2 and both["cost_usd"] == pytest.approx(0.03)
    new_york = by(spend_queries.usage_by_period(usage_store, "day", tz="America/New_York"), "period", "model")
    assert new_york[("2026-11-01", "glm-5")]["runs"] == 2
    assert ("2026-11-30", "glm-5") in new_york  # 03:00 UTC on Dec 1 is 22:00 on Nov 30 in New York
    # UTC+5:45
    kathmandu = by(spend_queries.usage_by_period(usage_store, "day", tz="Asia/Kathmandu"), "period", "model")
    assert kathmandu[("2026-11-02", "glm-5")]["runs"] == 2 and ("2026-11-01", "glm-5") not in kathmandu


def test_codex_sessions_and_routed_runs_count_together(usage_store: Store) -> None:
    days = by(spend_queries.usage_by_period(usage_store, "day"), "period", "model")
    codex = days[("2026-11-03", "gpt-5.4")]
    assert (codex["input"], codex["cached_input"], codex["output"], codex["reasoning"]) == (800, 200, 100, 40)
    assert (codex["runs"], codex["codex_sessions"], codex["total_tokens"]) == (0, 1, 1100)
    assert codex["cost_usd"] == pytest.approx((800 * 2.5 + 200 * 0.25 + 100 * 15) / 1e6)
    unpriced = days[("2026-11-02", "mystery-model")]
    assert unpriced["cost_usd"] is None and unpriced["unpriced"] and unpriced["input"] == 50
    weeks = by(spend_queries.usage_by_period(usage_store, "week"), "period", "model")
    assert weeks[("2026-10-26", "glm-5")]["runs"] == 1  # Sunday Nov 1 belongs to the week from Monday Oct 26
    assert weeks[("2026-11-02", "glm-5")]["runs"] == 1 and weeks[("2026-11-02", "gpt-5.4")]["codex_sessions"] == 1
    months = by(spend_queries.usage_by_period(usage_store, "month", tz="America/New_York"), "period", "model")
    assert months[("2026-11-01", "glm-5")]["runs"] == 3 and months[("2026-11-01", "glm-5")]["input"] == 670


def test_session_view(usage_store: Store, usage_log: Path) -> None:
    sessions = by(spend_queries.usage_by_period(usage_store, "session", tz="Asia/Tokyo"), "session_id", "model")
    routed = sessions[("s-1", "glm-5")]
    assert (routed["source"], routed["directory"], routed["file"], routed["runs"]) == (
        "router", "/p/alpha", str(usage_log), 2)
    assert routed["last_activity"] == dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert sessions[("t3", "mystery-model")]["unpriced"]  # a run without a session id is its own
    codex = sessions[(SESSION, "gpt-5.4")]
    assert (codex["source"], codex["directory"], codex["runs"], codex["total_tokens"]) == ("codex", "/p/codex", 0, 1100)
    assert codex["file"].endswith("rollout-2026-11-03T09-00-00-codex-only.jsonl")


def test_since_until_are_days_in_the_zone(usage_store: Store, usage_log: Path, tmp_path: Path) -> None:
    def runs(**kw) -> int:
        return int(spend_queries.usage_by_period(usage_store, "day", **kw)["runs"].sum())

    assert runs(since="2026-11-02", until="2026-11-02") == 2  # t2, t3 in UTC
    assert runs(since="20261102", until="20261102", tz="Europe/Berlin") == 3  # t1 23:30 is Nov 2 there
    assert runs(since=dt.date(2026, 11, 2), tz="America/New_York") == 2  # t3 and December's t4
    assert runs(until="2026-11-01T23:00", tz="Europe/Berlin") == 0  # a time without offset is Berlin's
    assert runs(logs=[tmp_path / "other.jsonl"]) == 0 and runs(logs=[usage_log]) == 4
    with pytest.raises(ValueError, match="time zone"):
        spend_queries.usage_by_period(usage_store, "day", tz="Mars/Olympus")
    with pytest.raises(ValueError, match="period"):
        spend_queries.usage_by_period(usage_store, "fortnight")


def report(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["report", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_report_views_json_and_tables(capsys, usage_log: Path, tmp_path: Path) -> None:
    home = tmp_path / "codex"
    rollout(home)
    common = ["--log", str(usage_log), "--codex-home", str(home), "--db", str(tmp_path / "r.duckdb")]
    code, out, _ = report(capsys, "daily", *common, "--timezone", "Europe/Berlin", "--since", "20261102",
                          "--until", "2026-11-30", "--json")
    data = json.loads(out)
    assert code == 0 and (data["view"], data["timezone"]) == ("daily", "Europe/Berlin")
    assert [(r["period"], r["model"]) for r in data["rows"]] == [
        ("2026-11-02", "glm-5"), ("2026-11-02", "mystery-model"), ("2026-11-03", "gpt-5.4")]
    assert data["totals"]["total_tokens"] == 360 + 55 + 1100 and data["unpriced_models"] == ["mystery-model"]
    code, out, _ = report(capsys, "monthly", *common, "-z", "UTC", "--json")
    assert [r["period"] for r in json.loads(out)["rows"]] == ["2026-11", "2026-11", "2026-11", "2026-12"]
    code, out, _ = report(capsys, "weekly", *common, "--timezone", "UTC")
    assert code == 0 and "week from" in out and "2026-10-26" in out and "UNPRICED models" in out
    total = next(row for row in out.splitlines() if row.strip().startswith("Total"))
    assert total.split()[1:7] == ["1,520", "230", "0", "245", "55", "1,995"]  # 1,520 in + 230 cached + 245 out
    code, out, _ = report(capsys, "session", *common, "--timezone", "UTC")
    assert code == 0 and "/p/codex" in out and "rollout-2026-11-03T09-00-00-codex-only.jsonl" in out
    assert "2026-11-03 09:10" in out


def test_report_view_defaults_to_the_local_zone(capsys, monkeypatch, usage_log: Path, tmp_path: Path) -> None:
    import tzlocal

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    tzlocal.reload_localzone()
    try:
        code, out, _ = report(capsys, "daily", "--log", str(usage_log), "--db", str(tmp_path / "r.duckdb"), "--json")
    finally:
        monkeypatch.undo()
        tzlocal.reload_localzone()
    data = json.loads(out)
    assert code == 0 and data["timezone"] == "Asia/Tokyo"
    assert ("2026-11-02", "glm-5") in {(r["period"], r["model"]) for r in data["rows"]}


@pytest.mark.parametrize("argv", [["daily", "--timezone", "Mars/Olympus"], ["--timezone", "UTC"],
                                  ["fortnightly"], ["daily", "--since", "2026-13-01"]])
def test_report_view_usage_errors_exit_2(capsys, usage_log: Path, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["report", "--log", str(usage_log), *argv]))
    assert exc.value.code == 2 and capsys.readouterr().err.strip()


def test_views_without_a_routing_log_cover_codex_sessions(capsys, tmp_path: Path, monkeypatch) -> None:
    """A Codex user who never routed a task still gets the ccusage views; a --log that is missing is an error."""
    home = tmp_path / "codex"
    rollout(home)
    monkeypatch.setenv("CODEX_HOME", str(home))
    code, out, err = report(capsys, "daily", "--timezone", "UTC", "--db", str(tmp_path / "r.duckdb"), "--json")
    assert code == 0 and "Codex sessions only" in err
    assert [(r["period"], r["model"], r["codex_sessions"]) for r in json.loads(out)["rows"]] == [
        ("2026-11-03", "gpt-5.4", 1)]
    assert exit_code_of(["report", "--log", str(tmp_path / "nope.jsonl"), "daily"]) == 2
    assert exit_code_of(["report"]) == 2  # the routing report itself needs the log


def exit_code_of(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(argv))
    return int(exc.value.code)


def test_cache_writes_have_their_own_column_and_price(store: Store, tmp_path: Path) -> None:
    """A routed outcome's ``tokens.cache_write`` and a rollout's ``cache_write_input_tokens`` (both inside input)
    are shown apart from input, as ccusage shows cache creation, and priced at the cache-write rate."""
    from analytics.paths import config_dir
    from analytics.prices import PriceBook

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "prices.toml").write_text(
        '[models."house-model"]\ninput_per_mtok = 1\ncached_input_per_mtok = 0.1\noutput_per_mtok = 2\n'
        'cache_write_per_mtok = 1.25\n', encoding="utf-8")
    log = tmp_path / "routing_log.jsonl"
    write(log, line(v=1, ts="2026-11-02T10:00:00Z", event="outcome", task_id="t1", model="house-model", score=1.0,
                    tokens={"input": 1000, "cached_input": 100, "cache_write": 300, "output": 50}), mode="w")
    home = tmp_path / "codex"
    path = rollout(home)
    path.write_text(path.read_text(encoding="utf-8").replace('"reasoning_output_tokens": 40',
                                                             '"reasoning_output_tokens": 40, "cache_write_input_tokens": 250'),
                    encoding="utf-8")
    RolloutIngester(store, home).poll()
    LogIngester(store, [log]).poll()
    store.refresh_prices(PriceBook.load())
    rows = by(spend_queries.usage_by_period(store, "day"), "model")
    routed, codex = rows[("house-model",)], rows[("gpt-5.4",)]
    assert (routed["input"], routed["cached_input"], routed["cache_write"], routed["output"]) == (600, 100, 300, 50)
    assert routed["total_tokens"] == 1050 and codex["total_tokens"] == 1100
    assert (codex["input"], codex["cached_input"], codex["cache_write"]) == (550, 200, 250)
    assert routed["cost_usd"] == pytest.approx((600 * 1 + 100 * 0.1 + 300 * 1.25 + 50 * 2) / 1e6)
    assert by(spend_queries.usage_by_period(store, "session"), "model")[("gpt-5.4",)]["cache_write"] == 250
