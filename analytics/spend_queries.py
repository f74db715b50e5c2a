"""Where the money went: spend per day, project and dimension, the models nobody could price, and the token
and cost views per day/week/month/session that compare with ccusage (DESIGN §9).

Scope arguments as in ``analytics.run_queries``. Router runs and Codex sessions that bypassed the router count
together here (the ``spend`` view and ``session_spend``).
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from analytics.metrics import MIN_RUNS, points_per_usd_sql
from analytics.query_scope import RUN, Logs, Moment, date_range, time_zone
from analytics.query_scope import frame as _frame
from analytics.query_scope import where_clause as _where

if TYPE_CHECKING:
    import polars as pl


PERIODS = ("day", "week", "month", "session")


def spend_by_day(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None,
                 rows: bool = False) -> pl.DataFrame:
    """Spend per UTC day per model, router runs and Codex-only sessions together."""
    where, params = _where(since, until, logs=logs)
    sql = f"""
    SELECT ts::DATE AS day, model, sum(cost) AS cost_usd, count(*) FILTER (WHERE source = 'router') AS runs,
           count(DISTINCT task_id) FILTER (WHERE source = 'codex') AS codex_sessions,
           bool_or(unpriced) AS unpriced
    FROM spend WHERE {where} GROUP BY ALL ORDER BY day, model
    """
    return _frame(source, sql, params, rows)


def spend_by_project(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None) -> pl.DataFrame:
    """Spend per working directory (the project), with run and Codex-session counts."""
    where, params = _where(since, until, logs=logs)
    sql = f"""
    SELECT COALESCE(cwd, '(unknown)') AS project, sum(cost) AS cost_usd,
           count(*) FILTER (WHERE source = 'router') AS runs,
           count(DISTINCT task_id) FILTER (WHERE source = 'codex') AS codex_sessions,
           bool_or(unpriced) AS unpriced
    FROM spend WHERE {where} GROUP BY ALL ORDER BY cost_usd DESC NULLS LAST, project
    """
    return _frame(source, sql, params)


def spend_by_dimension(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None,
                       min_runs: int = MIN_RUNS) -> pl.DataFrame:
    """Spend of router runs per task dimension, with points per $ over all its models."""
    where, params = _where(since, until, logs=logs)
    sql = f"""
    SELECT COALESCE(dimension, 'unknown') AS dimension, count(*) AS runs, avg(score) AS avg_score,
           sum(cost) AS cost_usd, bool_or(unpriced) AS unpriced, {points_per_usd_sql(min_runs)}
    FROM priced_events WHERE {RUN} AND {where}
    GROUP BY ALL ORDER BY cost_usd DESC NULLS LAST, dimension
    """
    return _frame(source, sql, params)


def unpriced_models(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None,
                    rows: bool = False) -> pl.DataFrame:
    """Models whose runs or sessions could not be priced (no logged cost, no price anywhere)."""
    where, params = _where(since, until, logs=logs)
    sql = f"""
    SELECT model, count(*) FILTER (WHERE source = 'router') AS runs,
           count(DISTINCT task_id) FILTER (WHERE source = 'codex') AS codex_sessions
    FROM spend WHERE unpriced AND {where} GROUP BY model ORDER BY model
    """
    return _frame(source, sql, params, rows)


_TOKENS = ("input", "cached_input", "cache_write", "output", "reasoning")


def _token_columns(prefix: str) -> str:
    """The token columns as ccusage counts them: input is what was neither read from nor written to the cache."""
    return (f"GREATEST(COALESCE({prefix}input, 0) - COALESCE({prefix}cached_input, 0) "
            f"- COALESCE({prefix}cache_write, 0), 0) AS input, "
            + ", ".join(f"COALESCE({prefix}{name}, 0) AS {name}" for name in _TOKENS[1:]))


def usage_by_period(source: Any, period: str = "day", since: Moment = None, until: Moment = None,
                    tz: str = "UTC", logs: Logs = None, rows: bool = False) -> pl.DataFrame:
    """Tokens and cost per period (a day, week or month in ``tz``) and model, or per Codex session and model.

    Routed runs (``outcome`` events) and Codex rollouts that never passed through the router count together
    (the ccusage views, DESIGN §9). Tokens are counted as ccusage counts them, so the figures compare:
    ``input`` is the input neither read from nor written to the cache (the log's and Codex's input include
    ``cached_input`` and ``cache_write``), ``reasoning`` is part of ``output``, and ``total_tokens`` = input +
    cached_input + cache_write + output. ``cost_usd``
    sums what could be priced (null when nothing could); ``unpriced`` flags a row where some usage had no price.
    ``since``/``until``: a day (YYYY-MM-DD or YYYYMMDD) or a time without offset is read in ``tz``.

    Period views: ``period`` (the first day of the day/ISO week (Monday)/month, a Date in ``tz``), ``model``,
    token columns, ``cost_usd``, ``unpriced``, ``runs`` (routed), ``codex_sessions`` (Codex-only sessions).
    The session view: ``session_id`` (a routed run without one is keyed by its task id), ``model``,
    ``source`` (router | codex), ``directory`` (cwd), ``file`` (the log or rollout the usage was read from),
    ``last_activity`` (in ``tz``), token columns, ``cost_usd``, ``unpriced``, ``runs``.
    Routed runs are bucketed exactly; Codex usage by each ``session_usage`` row's timestamp, so as finely as
    those rows are kept: exact with a row per call; a row that sums a (model, UTC day) lands, in another
    zone, on the local day of its first call, which is then also what ``last_activity`` shows.
    Each time is turned into ``tz``'s day in SQL (DuckDB's ICU), so ``rows=True`` needs no Polars.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    bounds = date_range(since, until, time_zone(tz))
    where, params = _where(*bounds, logs=logs)
    where_codex, _ = _where(*bounds, "u.ts", logs)
    routed, codex = _token_columns("tokens_"), _token_columns("u.")
    key, group = ("COALESCE(session_id, task_id)", "u.session_id") if period == "session" else ("ts", "u.ts")
    sums = ", ".join(f"sum({name})::BIGINT AS {name}" for name in _TOKENS)
    total = "(input + cached_input + cache_write + output) AS total_tokens"
    usage = f"""
    WITH usage AS (
        SELECT {key} AS k, model, 'router' AS source, task_id AS item, cwd, file, ts, {routed}, cost, unpriced
        FROM priced_events WHERE event = 'outcome' AND {where}
        UNION ALL
        SELECT {group}, u.model, 'codex', u.session_id, u.cwd, s.file, u.ts, {codex}, u.cost, u.unpriced
        FROM session_spend u LEFT JOIN sessions s USING (session_id) WHERE {where_codex}
    )"""
    runs = "count(*) FILTER (WHERE source = 'router') AS runs"
    tokens = ", ".join(_TOKENS)
    if period == "session":
        sql = f"""{usage}
        SELECT session_id, model, source, directory, file, last_activity, {tokens}, {total}, cost_usd, unpriced, runs
        FROM (SELECT k AS session_id, model, any_value(source) AS source, arg_max(cwd, ts) AS directory,
                     arg_max(file, ts) AS file, max(ts) AS last_activity, {sums}, sum(cost) AS cost_usd,
                     bool_or(unpriced) AS unpriced, {runs}
              FROM usage GROUP BY k, model)
        ORDER BY last_activity NULLS LAST, session_id NULLS LAST, model NULLS LAST
        """
        return _in_zone(_frame(source, sql, params + params, rows), "last_activity", tz, rows)
    day = "timezone(?, k AT TIME ZONE 'UTC')::DATE"
    start = {"day": day, "week": f"date_trunc('week', {day})::DATE", "month": f"date_trunc('month', {day})::DATE"}
    sql = f"""{usage}
    SELECT period, model, {tokens}, {total}, cost_usd, unpriced, runs, codex_sessions
    FROM (SELECT period, model, {sums}, sum(cost) AS cost_usd, bool_or(unpriced) AS unpriced, {runs},
                 count(DISTINCT item) FILTER (WHERE source = 'codex') AS codex_sessions
          FROM (SELECT *, {start[period]} AS period FROM usage) GROUP BY period, model)
    ORDER BY period NULLS LAST, model NULLS LAST
    """
    return _frame(source, sql, params + params + [tz], rows)


def _in_zone(found: Any, column: str, tz: str, rows: bool) -> Any:
    """``column`` (naive UTC) as aware times in ``tz``: in the frame, or in each row."""
    if not rows:
        import polars as pl

        return found.with_columns(pl.col(column).dt.replace_time_zone("UTC").dt.convert_time_zone(tz))
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    for row in found:
        if row[column] is not None:
            row[column] = row[column].replace(tzinfo=UTC).astimezone(zone)
    return found
