"""The questions the dashboard and `codex-router report` ask, one function each, answered as Polars frames.

Every function takes a ``Store`` (or a DuckDB connection/cursor), an optional ``since``/``until`` (a date,
a datetime or an ISO string; ``until`` given as a date includes that whole day; timestamps are UTC) and an
optional ``logs`` (the routing logs to cover; the store may hold others; Codex sessions are always included).

Definitions (DESIGN §3): a *run* is an ``outcome`` event; AvgPerf% = 100 x mean score; Perf/$ = AvgPerf% /
total USD (the paper's figure for a whole set of tasks: ``totals`` only); per model or dimension, *points per
dollar* = sum of scores / sum of USD over the runs that have both (successes per $), a per-task rate that
does not fall the more a model is used; win rate = share of scored runs with score >= ``win_threshold``.
Cost comes from the logged ``cost_usd`` or, failing that, from tokens x prices; a run with neither is
*unpriced* and its cost is null (never $0). Codex sessions that never passed through the router (no outcome carries their session id) add
to spend by day / model / project, never to AvgPerf (they have no score).
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import TYPE_CHECKING, Any

from analytics.metrics import (
    MIN_RUNS,
    WIN_THRESHOLD,
    avg_perf_sql,
    perf_per_dollar_sql,
    points_per_usd_sql,
    regret_sql,
    win_rate_sql,
)
from analytics.query_scope import Logs, Moment, connection, date_range, time_zone
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
# A run is an outcome of a launch that started: a `codex_missing` launch never ran (a failed start, counted apart).
FAILED_START = "status = 'codex_missing'"
RUN = f"event = 'outcome' AND NOT COALESCE({FAILED_START}, false)"
PERIODS = ("day", "week", "month", "session")


def _with_route(outcomes: str, columns: str) -> str:
    """``outcomes`` (aliased ``o``) paired with their task's latest `route` before them (alias ``r``, the given
    columns): the one rule that ties a route to its outcome in SQL (``router.logged_routes`` in Python)."""
    return (f"{outcomes} ASOF LEFT JOIN (SELECT task_id, ts AS route_ts, {columns} FROM events "
            f"WHERE event = 'route' AND task_id IS NOT NULL) r ON o.task_id = r.task_id AND o.ts >= r.route_ts")


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
         a AS (SELECT o.*, r.route_row FROM {_with_route("o", "rowid AS route_row")}),
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


_EVENT_VIEW_COLUMNS = ("ts, event, task_id, model, dimension, score, cost AS cost_usd, unpriced, status, "
                       "router, session_id, cwd, tool, task, file, line")


def recent_events(source: Any, limit: int = 50, since: Moment = None, until: Moment = None,
                  logs: Logs = None, match: str | None = None) -> pl.DataFrame:
    """The newest events first (any kind), for the live feed; an outcome without task text gets its route's.
    ``match`` keeps those whose event kind, task id, task text, model, dimension, status or directory contains
    it (any case), searched in the whole store."""
    where, params = _where(since, until, logs=logs)
    if match:
        fields = ("event", "task_id", "task", "model", "dimension", "status", "cwd")
        where += " AND (" + " OR ".join(f"contains(lower({name}), ?)" for name in fields) + ")"
        params += [match.lower()] * len(fields)
    sql = f"""
    WITH e AS (SELECT {_EVENT_VIEW_COLUMNS} FROM priced_events WHERE {where}
               ORDER BY ts DESC, file, line DESC LIMIT ?),
         r AS (SELECT task_id, first(task ORDER BY ts) AS route_task FROM events
               WHERE event = 'route' AND task IS NOT NULL AND task_id IN (SELECT task_id FROM e) GROUP BY task_id)
    SELECT e.* REPLACE (COALESCE(e.task, r.route_task) AS task)
    FROM e LEFT JOIN r USING (task_id) ORDER BY ts DESC, file, line DESC
    """
    return _frame(source, sql, [*params, int(limit)])


def most_expensive_tasks(source: Any, limit: int = 10, since: Moment = None, until: Moment = None,
                         logs: Logs = None) -> pl.DataFrame:
    """Costliest runs, with the task text from the run or from its route."""
    where, params = _where(since, until, "o.ts", logs)
    sql = f"""
    SELECT o.ts, o.task_id, COALESCE(o.task, r.task) AS task, o.model, o.dimension, o.score,
           o.cost AS cost_usd, o.cwd
    FROM {_with_route(f"(SELECT * FROM priced_events o WHERE event = 'outcome' AND cost IS NOT NULL AND {where}) o",
                      "task")}
    ORDER BY o.cost DESC, o.ts LIMIT ?
    """
    return _frame(source, sql, [*params, int(limit)])


def range_events(source: Any, since: Moment = None, until: Moment = None, logs: Logs = None) -> pl.DataFrame:
    """Every event in the range with its typed columns, derived cost and the full raw record (export).

    ``raw`` is read back from the log; where the log no longer holds the line (rotated away, rewritten)
    ``raw`` is null and ``raw_error`` says why. The regret inputs typed at ingest are left out: ``raw`` holds
    them, and a nested column cannot go to CSV.
    """
    import polars as pl

    from analytics.line_readback import LINE_GONE, original_lines

    where, params = _where(since, until, logs=logs)
    sql = (f"SELECT * EXCLUDE (est_scores, oracle_best) FROM priced_events WHERE {where} "
           "ORDER BY ts, file, line")
    frame = _frame(source, sql, params)
    location = ["inode", "byte_offset", "byte_length", "line_hash"]
    raw = original_lines(connection(source), frame.select("file", *location))
    gone = pl.when(raw.is_null()).then(pl.col("file") + f": {LINE_GONE}").alias("raw_error")
    return frame.with_columns(raw).with_columns(gone).drop(location)


def route_detail(source: Any, task_id: str, logs: Logs = None) -> dict[str, Any] | None:
    """Everything logged about one routed task, for a detail view: the route's decision (candidates with
    their votes, neighbours, settings), a manual override, and the outcome (score, status, verifier signals,
    tokens, cost as priced now, latency). None when the log has no such task.

    The nested parts come from the log lines themselves (the store keeps where they are); a line rotated
    away or rewritten since gives ``raw_error`` instead of its nested parts.
    """
    from analytics.line_readback import LINE_GONE, original_lines

    where, params = _where(None, None, logs=logs)
    sql = (f"SELECT * EXCLUDE (est_scores, oracle_best) FROM priced_events WHERE task_id = ? "
           f"AND event IN ('route', 'override', 'outcome') AND {where} ORDER BY ts, file, line")
    frame = _frame(source, sql, [task_id, *params])
    if frame.height == 0:
        return None
    location = ["inode", "byte_offset", "byte_length", "line_hash"]
    raw = original_lines(connection(source), frame.select("file", *location)).to_list()
    latest: dict[str, dict[str, Any]] = {}
    for row, line in zip(frame.drop(location).to_dicts(), raw, strict=True):
        record = json.loads(line) if line is not None else {}
        latest[row["event"]] = {"row": row, "record": record,
                                "raw_error": None if line is not None else f"{row['file']}: {LINE_GONE}"}
    route, override, outcome = (latest.get(kind) for kind in ("route", "override", "outcome"))
    first = (route or outcome or override)["row"]
    decision = route["record"].get("decision") if route else None
    return {
        "task_id": task_id, "task": first["task"], "dimension": first["dimension"], "cwd": first["cwd"],
        "model": (outcome or route or override)["row"]["model"],
        "router": route["row"]["router"] if route else None,
        "proposed_model": override["record"].get("proposed_model") if override else None,
        "routed_at": route["row"]["ts"] if route else None,
        "decision": decision,
        "neighbours": (decision or {}).get("neighbours", []) if isinstance(decision, dict) else [],
        "outcome": None if outcome is None else {
            "ts": outcome["row"]["ts"], "status": outcome["row"]["status"], "score": outcome["row"]["score"],
            "verifier": outcome["record"].get("verifier"), "tokens": outcome["record"].get("tokens"),
            "cost_usd": outcome["row"]["cost"], "unpriced": outcome["row"]["unpriced"],
            "latency_ms": outcome["row"]["latency_ms"], "exit_code": outcome["row"]["exit_code"],
            "session_id": outcome["row"]["session_id"]},
        "raw_errors": [part["raw_error"] for part in (route, override, outcome) if part and part["raw_error"]],
    }


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
