"""Queries on the fixture log, whose answers are worked out by hand in routing_fixtures.py."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from analytics import event_queries, regret_queries, run_queries, spend_queries
from analytics.malformed import malformed_lines
from analytics.store import Store

GPT, GLM, QWEN = 0.046, 0.01 + 0.02, 0.77


def test_totals(loaded: Store) -> None:
    t = run_queries.totals(loaded).row(0, named=True)
    assert (t["events"], t["runs"], t["unpriced_runs"], t["malformed"]) == (8, 5, 1, 2)
    assert t["avg_perf"] == pytest.approx(56.0)
    assert t["cost_usd"] == pytest.approx(GPT + GLM + QWEN)
    assert t["perf_per_dollar"] == pytest.approx(56.0 / (GPT + GLM + QWEN))


def test_model_stats(loaded: Store) -> None:
    rows = {r["model"]: r for r in run_queries.model_stats(loaded).to_dicts()}
    assert set(rows) == {"gpt-5.4", "glm-5", "qwen3.5-plus", "mystery-model"}
    assert (rows["glm-5"]["runs"], rows["glm-5"]["avg_score"]) == (2, pytest.approx(0.4))
    assert "perf_per_dollar" not in rows["glm-5"]  # the paper's ratio is for whole task sets: totals only
    assert rows["glm-5"]["priced_runs"] == 2 and rows["glm-5"]["points_per_usd"] is None  # too few runs
    two = run_queries.model_stats(loaded, min_runs=2)
    assert two.filter(pl.col("model") == "glm-5")["points_per_usd"].item() == pytest.approx(0.8 / GLM)
    assert rows["gpt-5.4"]["cost_usd"] == pytest.approx(GPT)
    assert rows["qwen3.5-plus"]["cost_usd"] == pytest.approx(QWEN)
    unpriced = rows["mystery-model"]
    assert (unpriced["cost_usd"], unpriced["points_per_usd"], unpriced["unpriced_runs"]) == (None, None, 1)
    assert unpriced["priced_runs"] == 0


def test_points_per_usd_is_per_task_so_it_does_not_fall_with_use(store: Store, tmp_path) -> None:
    """DESIGN §3: sum of scores / sum of USD over priced runs. A model used twice as often at the same
    success rate and price keeps its figure (AvgPerf% / total USD halved it); unscored or unpriced runs
    count on neither side; a dimension gets the same figure over all its models."""
    from routing_fixtures import line, write

    from analytics.ingest import LogIngester

    log = tmp_path / "use.jsonl"
    runs = [("a", 1.0, 0.01)] * 3 + [("b", 1.0, 0.01)] * 6 + [("b", 0.0, 0.01)] * 3
    runs += [("b", None, 0.05), ("b", 1.0, None)]  # one unscored, one unpriced: on neither side
    write(log, *(line(v=1, ts=f"2026-11-01T09:{i:02d}:00Z", event="outcome", task_id=f"t{i}", model=model,
                      dimension="algorithm", **({} if score is None else {"score": score}),
                      **({} if cost is None else {"cost_usd": cost}))
                 for i, (model, score, cost) in enumerate(runs)))
    LogIngester(store, [log]).poll()
    rows = {r["model"]: r for r in run_queries.model_stats(store).to_dicts()}
    assert rows["a"]["points_per_usd"] == pytest.approx(3 / 0.03)  # 100 successes per $
    assert rows["b"]["points_per_usd"] == pytest.approx(6 / 0.09)
    assert (rows["a"]["priced_runs"], rows["b"]["priced_runs"]) == (3, 9)
    cells = {r["model"]: r for r in run_queries.dimension_model_stats(store).to_dicts()}
    assert cells["b"]["points_per_usd"] == pytest.approx(6 / 0.09)
    dims = spend_queries.spend_by_dimension(store).row(0, named=True)
    assert dims["points_per_usd"] == pytest.approx(9 / 0.12) and dims["priced_runs"] == 12
    assert run_queries.totals(store).row(0, named=True)["perf_per_dollar"] == pytest.approx(100 * 10 / 13 / 0.17)
    one_run = run_queries.totals(store, until="2026-11-01T09:01:00Z").row(0, named=True)  # not "Perf/$ 10000"
    assert (one_run["runs"], one_run["perf_per_dollar"]) == (1, None)


def test_dimension_model_stats_win_rate_and_leader(loaded: Store) -> None:
    frame = run_queries.dimension_model_stats(loaded)
    rows = {(r["dimension"], r["model"]): r for r in frame.to_dicts()}
    assert rows[("bug_fixing", "gpt-5.4")]["win_rate"] == 1.0 and rows[("bug_fixing", "gpt-5.4")]["leader"]
    assert rows[("bug_fixing", "glm-5")]["win_rate"] == 0.0 and not rows[("bug_fixing", "glm-5")]["leader"]
    assert rows[("algorithm", "qwen3.5-plus")]["win_rate"] == 0.0
    assert rows[("algorithm", "mystery-model")]["win_rate"] == 1.0
    leaders = frame.filter(pl.col("leader")).select("dimension", "model").rows()
    assert sorted(leaders) == [("algorithm", "glm-5"), ("bug_fixing", "gpt-5.4")]
    strict = {(r["dimension"], r["model"]): r
              for r in run_queries.dimension_model_stats(loaded, win_threshold=0.9).to_dicts()}
    assert strict[("algorithm", "glm-5")]["win_rate"] == 0.0


def test_regret_oracle_and_estimated(loaded: Store) -> None:
    frame = regret_queries.regret_over_time(loaded)
    by_task = {r["task_id"]: r for r in frame.to_dicts()}
    assert by_task["t1"]["kind"] == "estimated" and by_task["t1"]["regret"] == pytest.approx(0.1)
    assert by_task["t3"]["kind"] == "oracle" and by_task["t3"]["regret"] == pytest.approx(0.2)
    assert by_task["t2"]["kind"] is None and by_task["t2"]["regret"] is None
    summary = regret_queries.regret_summary(frame)
    assert summary["kind"] == "estimated" and summary["cumulative"] == pytest.approx(0.3)
    later = regret_queries.regret_summary(regret_queries.regret_over_time(loaded, since="2026-11-02"))
    assert later["kind"] == "oracle" and later["cumulative"] == pytest.approx(0.2)


def test_regret_reads_the_columns_typed_at_ingest_not_raw(loaded: Store, fixture_log) -> None:
    """Regret must not parse JSON per row at query time (seconds at 1M events): without the log, same answer."""
    before = regret_queries.regret_over_time(loaded)
    assert loaded.execute("SELECT est_scores FROM events WHERE event = 'route'").fetchall() == [
        ([{"model": "gpt-5.4", "exp_score": 0.6}, {"model": "glm-5", "exp_score": 0.7}],)]
    assert loaded.execute("SELECT task_id, oracle_best FROM events WHERE oracle_best IS NOT NULL").fetchall() == [
        ("t3", 1.0)]
    fixture_log.unlink()
    assert regret_queries.regret_over_time(loaded).equals(before)


def test_estimated_regret_uses_the_model_that_ran(store: Store, tmp_path) -> None:
    """The outcome's model (the session may have switched) is looked up among the route's candidates."""
    from routing_fixtures import line, write

    from analytics.ingest import LogIngester

    log = tmp_path / "switched.jsonl"
    candidates = [{"model": "a", "exp_score": 0.5}, {"model": "b", "exp_score": 0.9},
                  {"model": "c", "exp_score": "0.95"}, {"exp_score": 2.0}, 7]
    write(log, line(v=1, ts="2026-11-01T09:00:00Z", event="route", task_id="t", model="a",
                    decision={"candidates": candidates}),
          line(v=1, ts="2026-11-01T09:01:00Z", event="outcome", task_id="t", model="b", score=0.3),
          line(v=1, ts="2026-11-01T09:02:00Z", event="route", task_id="u", model="a", decision={"candidates": []}),
          line(v=1, ts="2026-11-01T09:03:00Z", event="outcome", task_id="u", model="a", score=0.3,
               oracle_scores={"a": 0.3, "b": True, "c": "1.0"}))
    LogIngester(store, [log]).poll()
    rows = {r["task_id"]: r for r in regret_queries.regret_over_time(store).to_dicts()}
    # Only numeric estimates of named models count: c's string score and the unnamed 2.0 are ignored.
    assert (rows["t"]["kind"], rows["t"]["best"], rows["t"]["regret"]) == ("estimated", 0.9, 0.0)
    assert (rows["u"]["kind"], rows["u"]["best"], rows["u"]["regret"]) == ("oracle", 0.3, 0.0)


def test_date_filters_apply_to_every_query(loaded: Store) -> None:
    assert run_queries.totals(loaded, since="2026-11-02").row(0, named=True)["runs"] == 3
    assert run_queries.totals(loaded, until="2026-11-01").row(0, named=True)["runs"] == 2
    one_day = run_queries.totals(loaded, since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 1))
    assert one_day.row(0, named=True)["runs"] == 2
    assert run_queries.totals(loaded, since="2026-11-01T09:30:00Z", until="2026-11-02T08:30:00+00:00").row(
        0, named=True)["runs"] == 2
    models = run_queries.model_stats(loaded, until="2026-11-01").get_column("model")
    assert models.sort().to_list() == ["glm-5", "gpt-5.4"]
    dimensions = run_queries.dimension_model_stats(loaded, since="2026-11-02").get_column("dimension")
    assert dimensions.unique().to_list() == ["algorithm"]
    days = spend_queries.spend_by_day(loaded, since="2026-11-02").get_column("day")
    assert days.unique().to_list() == [dt.date(2026, 11, 2)]
    assert event_queries.range_events(loaded, since="2026-11-03").height == 0
    assert event_queries.recent_events(loaded, until="2026-11-01").height == 3
    assert spend_queries.spend_by_project(loaded, since="2026-11-02").get_column("project").to_list() == ["/p/beta"]
    with pytest.raises(ValueError):
        run_queries.totals(loaded, since="2026-11-03", until="2026-11-01")
    with pytest.raises(ValueError):
        run_queries.totals(loaded, since="last tuesday")


def test_spend_queries_and_unpriced(loaded: Store) -> None:
    days = {(str(r["day"]), r["model"]): r for r in spend_queries.spend_by_day(loaded).to_dicts()}
    assert days[("2026-11-01", "gpt-5.4")]["cost_usd"] == pytest.approx(GPT)
    assert days[("2026-11-02", "mystery-model")]["cost_usd"] is None
    assert days[("2026-11-02", "mystery-model")]["unpriced"]
    assert spend_queries.unpriced_models(loaded).get_column("model").to_list() == ["mystery-model"]
    projects = spend_queries.spend_by_project(loaded).rows(named=True)
    assert [p["project"] for p in projects] == ["/p/beta", "/p/alpha"]
    assert projects[1]["cost_usd"] == pytest.approx(GPT + 0.01)
    dims = {r["dimension"]: r for r in spend_queries.spend_by_dimension(loaded).to_dicts()}
    assert dims["algorithm"]["cost_usd"] == pytest.approx(0.02 + QWEN) and dims["bug_fixing"]["runs"] == 2


def test_event_lists(loaded: Store) -> None:
    recent = event_queries.recent_events(loaded, limit=2)
    assert recent.get_column("event").to_list() == ["turn", "tool"]
    glm = event_queries.recent_events(loaded, match="GLM")  # the feed's filter: over the whole store, any case
    assert glm.get_column("task_id").to_list() == [None, "t3", "t2"] and set(glm["model"]) == {"glm-5"}
    assert event_queries.recent_events(loaded, match="parser").select("event", "task_id").rows() == [("route", "t1")]
    assert event_queries.recent_events(loaded, match="/p/beta", limit=2).height == 2
    assert event_queries.recent_events(loaded, match="no such thing").height == 0
    top = event_queries.most_expensive_tasks(loaded, limit=2).to_dicts()
    assert [t["task_id"] for t in top] == ["t4", "t1"] and top[1]["task"] == "fix the parser"
    export = event_queries.range_events(loaded)
    assert export.height == 8 and "raw" in export.columns
    t1 = export.filter((pl.col("task_id") == "t1") & (pl.col("event") == "outcome")).row(0, named=True)
    assert json.loads(t1["raw"])["custom_key"] == {"kept": True}
    assert export.get_column("raw_error").null_count() == 8
    bad = malformed_lines(loaded).to_dicts()
    assert [(b["line"], b["error"].split(":")[0]) for b in bad] == [(9, "not JSON"), (10, "score")]


def test_export_reads_lines_back_after_rotation_and_refuses_changed_ones(loaded: Store, fixture_log) -> None:
    """The store keeps where a line is: it is found again after a rename or a copytruncate rotation, and a
    log rewritten since ingest gives no line and a reason, never another line."""
    before = event_queries.range_events(loaded).get_column("raw").to_list()
    fixture_log.rename(fixture_log.with_name(fixture_log.name + ".1"))  # rename rotation, new empty log
    fixture_log.write_text("", encoding="utf-8")
    assert event_queries.range_events(loaded).get_column("raw").to_list() == before
    copy = fixture_log.with_name(fixture_log.name + ".1")
    copy.rename(fixture_log)  # back in place, then copytruncate: the bytes move to a copy, the log empties
    copy.write_bytes(fixture_log.read_bytes())
    fixture_log.write_text("", encoding="utf-8")
    assert event_queries.range_events(loaded).get_column("raw").to_list() == before
    copy.write_bytes(copy.read_bytes().replace(b'"t1"', b'"t9"'))  # rewritten in place: same lengths
    export = event_queries.range_events(loaded)
    changed = export.filter(pl.col("task_id") == "t1")
    assert changed.height == 2 and changed.get_column("raw").null_count() == 2
    assert "no longer in the log" in changed.get_column("raw_error")[0]
    assert export.filter(pl.col("task_id") != "t1").get_column("raw").null_count() == 0


def test_price_override_applies_without_rebuild(loaded: Store) -> None:
    from analytics.paths import config_dir
    from analytics.prices import PriceBook

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "prices.toml").write_text(
        '[models."mystery-model"]\ninput_per_mtok = 10\noutput_per_mtok = 20\n', encoding="utf-8")
    loaded.refresh_prices(PriceBook.load())
    assert spend_queries.unpriced_models(loaded).height == 0
    row = run_queries.model_stats(loaded).filter(pl.col("model") == "mystery-model").row(0, named=True)
    assert row["cost_usd"] == pytest.approx((100 * 10 + 100 * 20) / 1e6)


def test_route_detail_gathers_decision_override_and_outcome(store: Store, tmp_path) -> None:
    from routing_fixtures import line, write

    from analytics.ingest import LogIngester

    log = tmp_path / "detail.jsonl"
    decision = {"policy": "acrouter", "chosen": "glm-5",
                "candidates": [{"model": "glm-5", "exp_score": 0.7, "prob": 0.8, "votes": {"prior": {"n": 4}}},
                               {"model": "gpt-5.4", "exp_score": 0.6, "prob": 0.2}],
                "neighbours": [{"task_id": "old", "model": "glm-5", "score": 1.0, "similarity": 0.8}]}
    write(log, line(v=1, ts="2026-11-01T09:00:00Z", event="override", task_id="r-1", model="gpt-5.4",
                    proposed_model="glm-5", router="manual"),
          line(v=1, ts="2026-11-01T09:00:00Z", event="route", task_id="r-1", task="fix the parser",
               dimension="bug_fixing", model="gpt-5.4", router="manual", propensity=1.0, cwd="/p", decision=decision),
          line(v=1, ts="2026-11-01T09:03:00Z", event="outcome", task_id="r-1", model="gpt-5.4", score=0.5,
               status="ok", verifier={"signals": {"tests": 0.5}}, latency_ms=1200, exit_code=0,
               tokens={"input": 10000, "cached_input": 4000, "output": 2000, "reasoning": 500}),
          line(v=1, ts="2026-11-01T09:04:00Z", event="route", task_id="r-2", task="other", model="glm-5"))
    LogIngester(store, [log]).poll()
    detail = event_queries.route_detail(store, "r-1")
    assert (detail["task"], detail["model"], detail["router"], detail["proposed_model"]) == (
        "fix the parser", "gpt-5.4", "manual", "glm-5")
    assert detail["decision"]["candidates"][0]["votes"] == {"prior": {"n": 4}}
    assert detail["neighbours"] == decision["neighbours"]
    outcome = detail["outcome"]
    assert (outcome["score"], outcome["status"], outcome["verifier"], outcome["latency_ms"]) == (
        0.5, "ok", {"signals": {"tests": 0.5}}, 1200)
    assert outcome["cost_usd"] == pytest.approx(GPT) and outcome["tokens"]["reasoning"] == 500
    assert detail["raw_errors"] == []
    pending = event_queries.route_detail(store, "r-2")
    assert pending["outcome"] is None and pending["neighbours"] == [] and pending["decision"] is None
    assert event_queries.route_detail(store, "nope") is None
    log.write_text(log.read_text().replace("fix the parser", "fix the PARSER"))  # rewritten since ingest
    gone = event_queries.route_detail(store, "r-1")
    assert gone["decision"] is None and any("detail.jsonl" in e for e in gone["raw_errors"])
