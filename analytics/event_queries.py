"""Single events rather than figures: the live feed, the costliest runs, the export of a range with each raw
log line read back, and everything logged about one routed task.

Scope arguments as in ``analytics.run_queries``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from analytics.query_scope import Logs, Moment, connection, with_route
from analytics.query_scope import frame as _frame
from analytics.query_scope import where_clause as _where

if TYPE_CHECKING:
    import polars as pl


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
    FROM {with_route(f"(SELECT * FROM priced_events o WHERE event = 'outcome' AND cost IS NOT NULL AND {where}) o",
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
