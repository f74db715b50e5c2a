"""Lines the log held that are not events: listed with their file, line and reason, and told in one line.

Why its own module: every reader of the log (the report, what-if, the dashboard) owes the user the same
note about what it skipped; ingestion (``analytics.ingest``) is what sets such lines aside.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analytics.query_scope import Logs, frame, where_clause

if TYPE_CHECKING:
    import polars as pl


def malformed_lines(source: Any, limit: int | None = None, logs: Logs = None,
                    rows: bool = False) -> pl.DataFrame | list[dict[str, Any]]:
    """Lines set aside during ingestion: file, line number, the reason and (the start of) the text (with
    ``rows``: as a list of dicts, without Polars)."""
    where, params = where_clause(None, None, logs=logs)
    sql = f"SELECT file, line, error, text FROM malformed WHERE {where} ORDER BY file, line"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return frame(source, sql, params, rows)


def malformed_note(rows: list[dict[str, Any]], total: int | None = None, first: int = 3) -> str | None:
    """"N malformed log line(s) skipped: FILE:LINE (reason), ... and K more" from ``malformed_lines`` rows
    (``total``: the count when ``rows`` holds only the first few); None when there are none."""
    count = len(rows) if total is None else total
    if not count:
        return None
    shown = [f"{row['file']}:{row['line']} ({_shorten(row['error'])})" for row in rows[:first]]
    more = count - len(shown)
    return (f"{count} malformed log line(s) skipped: " + ", ".join(shown)
            + (f" and {more} more" if more > 0 else ""))


def _shorten(text: str | None, limit: int = 60) -> str:
    text = text or "unreadable"
    return text if len(text) <= limit else text[: limit - 1] + "…"
