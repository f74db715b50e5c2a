"""Regret of router runs: per scored run in time order with its running total, and its sum for the report.

Scope arguments as in ``analytics.run_queries``; the regret of one run is ``metrics.regret_sql``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analytics.metrics import regret_sql
from analytics.query_scope import RUN, Logs, Moment, connection, with_route
from analytics.query_scope import frame as _frame
from analytics.query_scope import where_clause as _where

if TYPE_CHECKING:
    import polars as pl


def _regret_sql(since: Moment, until: Moment, logs: Logs) -> tuple[str, list[Any]]:
    """Per scored run in time order: best score, regret and its ``kind``.

    ``oracle`` when the outcome carries every model's score (``oracle_scores``, benchmark replays):
    best − achieved. Otherwise ``estimated`` from the route's ``decision.candidates``: the best expected
    score − the chosen model's expected score. Runs with neither have no regret (kind null).
    """
    where, params = _where(since, until, "o.ts", logs)
    sql = f"""
    WITH o AS (SELECT ts, line, file, task_id, model, score, oracle_best
               FROM events o WHERE {RUN} AND score IS NOT NULL AND {where}),
         -- The ASOF join carries only the route's rowid (sorting the candidate lists along was a third slower).
         a AS (SELECT o.*, r.route_row FROM {with_route("o", "rowid AS route_row")}),
         j AS (
            SELECT a.*, list_max(list_transform(e.est_scores, lambda c: c.exp_score)) AS est_best,
                   list_filter(e.est_scores, lambda c: c.model = a.model)[1].exp_score AS est_chosen
            FROM a LEFT JOIN events e ON e.rowid = a.route_row
         ),
         k AS (
            SELECT *, CASE WHEN oracle_best IS NOT NULL THEN 'oracle'
                           WHEN est_best IS NOT NULL AND est_chosen IS NOT NULL THEN 'estimated' END AS kind
            FROM j
         )
    SELECT ts, task_id, model, score,
           CASE kind WHEN 'oracle' THEN oracle_best WHEN 'estimated' THEN est_best END AS best,
           CASE kind WHEN 'oracle' THEN {regret_sql("oracle_best", "score")}
                     WHEN 'estimated' THEN {regret_sql("est_best", "est_chosen")} END AS regret,
           kind
    FROM k ORDER BY ts, file, line
    """
    return sql, params


def regret_over_time(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None) -> pl.DataFrame:
    """Per scored run in time order (``_regret_sql``) with the running total of regret."""
    import polars as pl

    # The running total in Polars over the sorted rows: a SQL window would sort them a second time.
    frame = _frame(source, *_regret_sql(since, until, logs))
    return frame.with_columns(cumulative=pl.col("regret").fill_null(0.0).cum_sum())


def _regret_label(kinds: set[str]) -> str:
    """oracle only if every counted run was oracle, else estimated (none without any)."""
    return "none" if not kinds else ("oracle" if kinds == {"oracle"} else "estimated")


def regret_summary(frame: pl.DataFrame) -> dict[str, Any]:
    """Cumulative regret and its label from ``regret_over_time``."""
    kinds = set(frame.get_column("kind").drop_nulls().to_list()) if frame.height else set()
    cumulative = float(frame.get_column("cumulative")[-1]) if frame.height else 0.0
    return {"cumulative": cumulative, "kind": _regret_label(kinds),
            "runs": int(frame.get_column("regret").drop_nulls().len()) if frame.height else 0}


def regret_totals(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None) -> dict[str, Any]:
    """``regret_summary`` summed in SQL, for a caller that needs no row of it (the report)."""
    sql, params = _regret_sql(since, until, logs)
    cumulative, kinds, runs = connection(source).execute(
        f"SELECT COALESCE(sum(regret), 0.0), list(DISTINCT kind) FILTER (WHERE kind IS NOT NULL), count(regret) "
        f"FROM ({sql})", params).fetchall()[0]
    return {"cumulative": float(cumulative), "kind": _regret_label(set(kinds or [])), "runs": runs}
