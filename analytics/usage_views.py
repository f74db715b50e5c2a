"""`codex-router report daily|weekly|monthly|session`: tokens and cost as ccusage shows them, routed and Codex work together.

The numbers come from ``spend_queries.usage_by_period`` (the dashboard's review asks the same function); this module
only turns its rows into the ``--json`` object and the tables. Periods are days, ISO weeks (from Monday) or
months in ``--timezone`` (default: this machine's zone, as ccusage does).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

VIEWS = {"daily": "day", "weekly": "week", "monthly": "month", "session": "session"}
TOKEN_COLUMNS = ("input", "cached_input", "cache_write", "output", "reasoning", "total_tokens")
_PERIOD_HEADER = {"day": "day", "week": "week from", "month": "month"}


def local_zone() -> str:
    """This machine's IANA zone name (``$TZ``, /etc/localtime, ...), the views' default like ccusage's."""
    import tzlocal

    return tzlocal.get_localzone_name() or "UTC"


def build_view(store: Any, view: str, since: str | None, until: str | None, tz: str,
               logs: list | None = None) -> dict[str, Any]:
    """The --json object of one view: its rows, their totals and the models no price covers."""
    from analytics import spend_queries

    period = VIEWS[view]
    rows = [{key: _plain(value, period) for key, value in row.items()}
            for row in spend_queries.usage_by_period(store, period, since, until, tz, logs, rows=True)]
    costs = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    totals = {name: sum(r[name] for r in rows) for name in (*TOKEN_COLUMNS, "runs")}
    totals |= {"cost_usd": sum(costs) if costs else None, "unpriced": any(r["unpriced"] for r in rows)}
    unpriced = sorted({str(r["model"]) for r in rows if r["unpriced"]})
    return {"view": view, "timezone": tz, "since": since, "until": until, "rows": rows, "totals": totals,
            "unpriced_models": unpriced}


def _plain(value: Any, period: str) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.strftime("%Y-%m") if period == "month" else value.isoformat()
    return value


def _cost(value: float | None, unpriced: bool) -> str:
    if value is None:
        return "unpriced" if unpriced else "–"
    return f"${value:,.4f}" + (" +unpriced" if unpriced else "")


def _count(value: int) -> str:
    return f"{value:,}"


def render_view(report: dict[str, Any]) -> str:
    """ccusage-style tables: one row per period (or session) and model, the period named on its first row."""
    period = VIEWS[report["view"]]
    token_headers = ["input", "cached", "cache write", "output", "reasoning", "total"]
    if period == "session":
        headers = ["last activity", "session", "model", "directory", "file", *token_headers, "cost", "runs"]
        leading = [[r["last_activity"][:16].replace("T", " ") if r["last_activity"] else "unknown",
                    str(r["session_id"]), str(r["model"]), r["directory"] or "", _basename(r["file"])]
                   for r in report["rows"]]
    else:
        headers = [_PERIOD_HEADER[period], "model", *token_headers, "cost", "runs", "Codex sessions"]
        leading, previous = [], object()
        for r in report["rows"]:
            leading.append(["" if r["period"] == previous else str(r["period"] or "unknown"), str(r["model"])])
            previous = r["period"]
    body = [[*lead, *(_count(r[c]) for c in TOKEN_COLUMNS), _cost(r["cost_usd"], r["unpriced"]), _count(r["runs"]),
             *([] if period == "session" else [_count(r["codex_sessions"])])]
            for lead, r in zip(leading, report["rows"], strict=True)]
    t = report["totals"]
    width = len(headers) - len(TOKEN_COLUMNS) - (2 if period == "session" else 3)
    total = ["Total", *[""] * (width - 1), *(_count(t[c]) for c in TOKEN_COLUMNS),
             _cost(t["cost_usd"], t["unpriced"]), _count(t["runs"]), *([] if period == "session" else [""])]
    numeric = set(range(width, len(headers)))
    title = (f"Token usage and cost by {'Codex session' if period == 'session' else period} "
             f"({report['timezone']}; routed runs and Codex sessions)")
    lines = [title, *_aligned(headers, body + ([total] if body else []), numeric)]
    if not body:
        lines.append("  (no usage in this range)")
    lines.append("input excludes cached (cache reads), reasoning is part of output; total = input + cached + output "
                 "(as ccusage counts)")
    if report["unpriced_models"]:
        lines.append("UNPRICED models (add them to prices.toml in the config dir): "
                     + ", ".join(report["unpriced_models"]))
    return "\n".join(lines) + "\n"


def _basename(path: str | None) -> str:
    return path.rsplit("/", 1)[-1] if path else ""


def _aligned(headers: list[str], rows: list[list[str]], numeric: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  " + "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                                for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [fmt(headers), *(fmt(r) for r in rows)]
