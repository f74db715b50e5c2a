"""What a query covers: a date range (``since``/``until``) and a set of routing logs, as one SQL condition;
which events are runs (``RUN``) and which route a run belongs to (``with_route``).

Why its own module: every query module (``run_queries``, ``regret_queries``, ``spend_queries``,
``event_queries``) takes the same ``since``/``until``/``logs`` and counts the same runs, and the report command
parses dates with the same rules before it opens any store; this module needs only the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

DAY_LENGTHS = (8, 10)  # a day is written YYYY-MM-DD or YYYYMMDD (as ccusage takes it)
Moment = date | datetime | str | None
Logs = Iterable[str | Path] | None
# A run is an outcome of a launch that started: a `codex_missing` launch never ran (a failed start, counted apart).
FAILED_START = "status = 'codex_missing'"
RUN = f"event = 'outcome' AND NOT COALESCE({FAILED_START}, false)"


def _bound(value: Moment, end: bool, zone: tzinfo = UTC) -> datetime | None:
    """A naive-UTC datetime; a bare date means the start of that day (``since``) or of the next (``until``)
    in ``zone``, and a time without an offset is a time in ``zone``."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) in DAY_LENGTHS else datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        value = datetime.combine(value + timedelta(days=1) if end else value, time())
    moment = value if value.tzinfo else value.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None)


def time_zone(name: str) -> tzinfo:
    """An IANA zone by name (ValueError naming it when there is none such)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Europe/Berlin, or UTC)") from exc


def date_range(since: Moment = None, until: Moment = None,
               zone: tzinfo = UTC) -> tuple[datetime | None, datetime | None]:
    """Parse a date filter once (raises ValueError on a bad date), as the other functions do."""
    start, stop = _bound(since, False, zone), _bound(until, True, zone)
    if start and stop and start >= stop:
        raise ValueError(f"empty date range: since {since} is not before until {until}")
    return start, stop


def log_scope(paths: Iterable[str | Path]) -> list[str]:
    """Log paths as the ingester records them (absolute), for the ``logs=`` filter."""
    return [str(Path(p).expanduser().absolute()) for p in paths]


def where_clause(since: Moment, until: Moment, column: str = "ts", logs: Logs = None) -> tuple[str, list[Any]]:
    """SQL condition + params for a date range and, optionally, a set of logs (Codex sessions have none)."""
    start, stop = date_range(since, until)
    clauses, params = [], []
    if logs is not None:
        prefix = column[: column.rfind(".") + 1]
        clauses.append(f"({prefix}log IS NULL OR list_contains(?::VARCHAR[], {prefix}log))")
        params.append(log_scope(logs))
    if start is not None:
        clauses.append(f"{column} >= ?")
        params.append(start)
    if stop is not None:
        clauses.append(f"{column} < ?")
        params.append(stop)
    return (" AND ".join(clauses) or "TRUE"), params


def connection(source: Any) -> Any:
    """The DuckDB connection/cursor of a ``Store``, or ``source`` itself when it is one."""
    return source.con if hasattr(source, "con") else source


def frame(source: Any, sql: str, params: list[Any], rows: bool = False) -> Any:
    """The answer of ``sql`` as a Polars frame, from a ``Store`` or a DuckDB connection/cursor; with ``rows``,
    as a list of dicts straight from DuckDB (what the CLI prints needs neither Polars nor pyarrow, whose
    imports cost more than a warm report's queries)."""
    if not rows:
        return connection(source).sql(sql, params=params).pl()
    cursor = connection(source).execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def with_route(outcomes: str, columns: str) -> str:
    """``outcomes`` (aliased ``o``) paired with their task's latest `route` before them (alias ``r``, the given
    columns): the one rule that ties a route to its outcome in SQL (``router.logged_routes`` in Python)."""
    return (f"{outcomes} ASOF LEFT JOIN (SELECT task_id, ts AS route_ts, {columns} FROM events "
            f"WHERE event = 'route' AND task_id IS NOT NULL) r ON o.task_id = r.task_id AND o.ts >= r.route_ts")
