"""Scores and cost of router runs: per dimension x model, per model, and the totals of a range.

Every query module (``run_queries``, ``regret_queries``, ``spend_queries``, ``event_queries``) takes a
``Store`` (or a DuckDB connection/cursor), an optional ``since``/``until`` (a date, a datetime or an ISO string;
``until`` given as a date includes that whole day; timestamps are UTC) and an optional ``logs`` (the routing
logs to cover; the store may hold others; Codex sessions are always included), and answers as a Polars frame
(or, with ``rows``, a list of dicts: see ``query_scope.frame``).

Definitions (DESIGN §3, formulas in ``analytics.metrics``): a *run* is an ``outcome`` event; AvgPerf% = 100 x
mean score; Perf/$ = AvgPerf% / total USD (the paper's figure for a whole set of tasks: ``totals`` only); per
model or dimension, *points per dollar* = sum of scores / sum of USD over the runs that have both (successes
per $), a per-task rate that does not fall the more a model is used; win rate = share of scored runs with
score >= ``win_threshold``. Cost comes from the logged ``cost_usd`` or, failing that, from tokens x prices; a
run with neither is *unpriced* and its cost is null (never $0). Codex sessions that never passed through the
router (no outcome carries their session id) add to spend, never to AvgPerf (they have no score).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analytics.metrics import (
    MIN_RUNS,
    WIN_THRESHOLD,
    avg_perf_sql,
    perf_per_dollar_sql,
    points_per_usd_sql,
    win_rate_sql,
)
from analytics.query_scope import FAILED_START, RUN, Logs, Moment
from analytics.query_scope import frame as _frame
from analytics.query_scope import where_clause as _where

if TYPE_CHECKING:
    import polars as pl


UNITS = {
    "perf_per_dollar": "AvgPerf% / total USD of the runs (the paper's Perf/$, for a whole set of tasks); "
                       f"none under {MIN_RUNS} scored, priced runs",
    "points_per_usd": "sum of scores / sum of USD over the scored, priced runs (successes per $; a score of 1 "
                      f"is one point); none under {MIN_RUNS} such runs",
}


def dimension_model_stats(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None,
                          win_threshold: float = WIN_THRESHOLD, min_runs: int = MIN_RUNS,
                          rows: bool = False) -> pl.DataFrame:
    """Per dimension x model: runs, avg score, win rate, cost, points per $; ``leader`` marks each dimension's best.
    (``rows`` here and below: a list of dicts instead, see ``query_scope.frame``.)

    The leader has the best average score among models with at least ``min_runs`` runs there (one lucky
    run should not lead a dimension); when no model has that many, among all of them.
    """
    where, params = _where(since, until, logs=logs)
    sql = f"""
    WITH s AS (
        SELECT COALESCE(dimension, 'unknown') AS dimension, model, count(*) AS runs,
               avg(score) AS avg_score,
               {win_rate_sql("score", "?")} AS win_rate,
               sum(cost) AS cost_usd, count(*) FILTER (WHERE unpriced) AS unpriced_runs,
               {points_per_usd_sql(min_runs)}
        FROM priced_events WHERE {RUN} AND {where}
        GROUP BY ALL
    )
    SELECT *, row_number() OVER (PARTITION BY dimension ORDER BY runs >= ? DESC, avg_score DESC NULLS LAST,
                                 win_rate DESC NULLS LAST, cost_usd ASC NULLS LAST, model) = 1 AS leader
    FROM s ORDER BY dimension, avg_score DESC NULLS LAST, model
    """
    return _frame(source, sql, [win_threshold, *params, int(min_runs)], rows)


def model_stats(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None,
                min_runs: int = MIN_RUNS, rows: bool = False) -> pl.DataFrame:
    """Per model: runs, avg score, AvgPerf%, cost of the runs, priced runs and points per $ (null under
    ``min_runs`` scored and priced runs, or without spend)."""
    where, params = _where(since, until, logs=logs)
    sql = f"""
    SELECT model, count(*) AS runs, avg(score) AS avg_score, {avg_perf_sql("score")} AS avg_perf,
           sum(cost) AS cost_usd, count(*) FILTER (WHERE unpriced) AS unpriced_runs,
           {points_per_usd_sql(min_runs)}
    FROM priced_events WHERE {RUN} AND {where}
    GROUP BY model ORDER BY runs DESC, model
    """
    return _frame(source, sql, params, rows)


def totals(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None,
           rows: bool = False) -> pl.DataFrame:
    """One row: events, runs, avg score, AvgPerf%, run cost, Perf/$ (null under ``MIN_RUNS`` scored, priced
    runs: 100 / the cost of one run is not a figure), plus Codex-only spend, malformed lines, failed starts and
    the first/last run's time."""
    where, params = _where(since, until, logs=logs)
    bad, bad_params = _where(None, None, logs=logs)
    sql = f"""
    WITH e AS (SELECT * FROM priced_events WHERE {where}),
         runs AS (SELECT count(*) AS runs, avg(score) AS avg_score, sum(cost) AS cost_usd,
                         count(*) FILTER (WHERE unpriced) AS unpriced_runs,
                         count(*) FILTER (WHERE score IS NOT NULL AND cost IS NOT NULL) AS priced_runs,
                         min(ts) AS first_run, max(ts) AS last_run FROM e WHERE {RUN}),
         codex AS (SELECT sum(cost) AS cost, count(DISTINCT session_id) AS sessions
                   FROM session_spend WHERE {where})
    SELECT (SELECT count(*) FROM e) AS events, runs.runs, runs.avg_score, 100 * runs.avg_score AS avg_perf,
           runs.cost_usd, runs.unpriced_runs,
           CASE WHEN runs.priced_runs >= {MIN_RUNS}
                THEN {perf_per_dollar_sql("100 * runs.avg_score", "runs.cost_usd")} END AS perf_per_dollar,
           codex.sessions AS codex_sessions, COALESCE(codex.cost, 0) AS codex_cost_usd,
           COALESCE(runs.cost_usd, 0) + COALESCE(codex.cost, 0) AS total_spend_usd,
           (SELECT count(*) FROM malformed WHERE {bad}) AS malformed,
           (SELECT count(*) FROM e WHERE event = 'outcome' AND {FAILED_START}) AS failed_starts,
           runs.first_run, runs.last_run
    FROM runs, codex
    """
    return _frame(source, sql, params + params + bad_params, rows)
