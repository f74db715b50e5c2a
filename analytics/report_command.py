"""Spend, win rates, Perf/$ and regret from the routing log(s) and Codex rollouts.

Reads every --log into the DuckDB cache (--db, default in the user data dir; rebuilt from the logs if it
is corrupt, replaced by a temporary in-memory copy if another process such as the dashboard holds it),
adds Codex rollout sessions from --codex-home, and prints tables or, with --json, one JSON object.
Regret is labelled "oracle" only when every run carried all models' scores; otherwise "estimated".
With a view (daily, weekly, monthly, session) it prints tokens and cost per period or Codex session and
model instead, as ccusage does, counting routed runs and Codex sessions together.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics import cli_options
from analytics.errors import CommandError
from analytics.metrics import WIN_THRESHOLD

if TYPE_CHECKING:
    from analytics.rollout_prefetch import RolloutPrefetch


def _day_or_moment(text: str) -> str:
    from analytics.query_scope import date_range

    try:
        date_range(text, None)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD or YYYYMMDD) or ISO 8601 time: {text!r}") from exc
    return text


def _zone(name: str) -> str:
    from analytics.query_scope import time_zone

    try:
        time_zone(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return name


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("view", nargs="?", choices=("daily", "weekly", "monthly", "session"),
                        help="tokens and cost per day, ISO week, month or Codex session and model, routed runs "
                             "and Codex sessions together (like ccusage); without it: the routing report")
    cli_options.add_log(parser, repeatable=True)
    parser.add_argument("--codex-home", type=Path, metavar="DIR",
                        help="Codex home whose sessions/ and archived_sessions/ rollouts are added "
                             "(default: $CODEX_HOME or ~/.codex)")
    cli_options.add_db(parser)
    parser.add_argument("--since", type=_day_or_moment, metavar="DATE",
                        help="first day to include (YYYY-MM-DD or YYYYMMDD; UTC, or --timezone in a view)")
    parser.add_argument("--until", type=_day_or_moment, metavar="DATE", help="last day to include (as --since)")
    parser.add_argument("--timezone", "-z", type=_zone, metavar="TZ",
                        help="the zone whose days a view counts in (default: this machine's, as ccusage)")
    parser.add_argument("--win-threshold", "--threshold", dest="win_threshold", type=float, default=WIN_THRESHOLD,
                        metavar="S", help="score that counts as a win in the win rate (default 0.5; --threshold is "
                                          "its older spelling)")
    cli_options.add_json(parser)


def _check_inputs(args: argparse.Namespace) -> list[Path]:
    from analytics.paths import default_log_path

    if not 0.0 <= args.win_threshold <= 1.0:
        raise CommandError(f"--win-threshold must be within [0, 1], got {args.win_threshold}", 2)
    if args.timezone and not args.view:
        raise CommandError("--timezone applies to the daily|weekly|monthly|session views", 2)
    if args.since and args.until:
        from analytics.query_scope import date_range

        try:
            date_range(args.since, args.until)
        except ValueError as exc:
            raise CommandError(str(exc), 2) from exc
    logs = args.log or [default_log_path(args.codex_home)]
    if args.view and not args.log and not logs[0].exists():
        # ccusage's views need no router: without the default log they cover the Codex sessions alone
        print(f"codex-router report: no routing log at {logs[0]}; Codex sessions only", file=sys.stderr)
        return []
    for log in logs:
        if not log.exists():
            hint = " (the default; pass --log PATH to read another)" if not args.log else ""
            raise CommandError(f"no routing log at {log}{hint}", 2)
        if not log.is_file() or not os.access(log, os.R_OK):
            raise CommandError(f"cannot read routing log {log}", 2)
    if args.codex_home is not None and not args.codex_home.is_dir():
        raise CommandError(f"--codex-home {args.codex_home} is not a directory", 2)
    return logs


def _open_store(db: Path | None):
    from analytics.store import Store, StoreError, StoreRefusedError

    try:
        store, notice = Store.open_for_logs(db)
    except StoreRefusedError as exc:
        raise CommandError(str(exc), 2) from exc
    except StoreError as exc:
        raise CommandError(str(exc), 1) from exc
    if notice:
        print(f"codex-router report: {notice}", file=sys.stderr)
    return store


def build_report(store: Any, since: str | None, until: str | None, win_threshold: float = WIN_THRESHOLD,
                 logs: list[Path] | None = None) -> dict[str, Any]:
    """The --json object (also what the tables print): plain JSON values only. Asked as rows, not Polars
    frames: importing Polars and pyarrow would cost a warm report more than its queries."""
    from analytics import malformed, regret_queries, run_queries, spend_queries

    def pick(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
        return [{name: row[name] for name in names} for row in rows]

    total = run_queries.totals(store, since, until, logs, rows=True)[0]
    return {
        "events": total["events"],
        "malformed": total["malformed"],
        "malformed_note": malformed.malformed_note(malformed.malformed_lines(store, limit=3, logs=logs, rows=True),
                                                   total["malformed"]),
        "totals": {"runs": total["runs"], "cost_usd": total["cost_usd"], "avg_perf": total["avg_perf"],
                   "perf_per_dollar": total["perf_per_dollar"], "unpriced_runs": total["unpriced_runs"],
                   "codex_sessions": total["codex_sessions"], "codex_cost_usd": total["codex_cost_usd"],
                   "total_spend_usd": total["total_spend_usd"]},
        "models": pick(run_queries.model_stats(store, since, until, logs, rows=True), "model", "runs", "avg_score",
                       "cost_usd", "priced_runs", "points_per_usd", "unpriced_runs"),
        "dimensions": pick(run_queries.dimension_model_stats(store, since, until, logs, win_threshold=win_threshold,
                                                             rows=True),
                           "dimension", "model", "runs", "win_rate", "avg_score", "cost_usd", "points_per_usd",
                           "leader"),
        "units": run_queries.UNITS,
        "regret": regret_queries.regret_totals(store, since, until, logs),
        "spend_by_day": [{**row, "day": row["day"].isoformat() if isinstance(row["day"], date) else row["day"]}
                         for row in pick(spend_queries.spend_by_day(store, since, until, logs, rows=True),
                                         "day", "model", "cost_usd", "unpriced")],
        "unpriced_models": [row["model"]
                            for row in spend_queries.unpriced_models(store, since, until, logs, rows=True)],
    }


def _money(value: float | None) -> str:
    return "unpriced" if value is None else f"${value:,.4f}"


def _num(value: float | None, digits: int = 3, unit: str = "") -> str:
    """A figure with its unit, or "–" where there is none (no runs, too few, nothing priced)."""
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def _table(title: str, headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return f"{title}\n  (none)\n"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [title, "  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines) + "\n"


def render(report: dict[str, Any]) -> str:
    t = report["totals"]
    out = [
        f"Events {report['events']}  runs {t['runs']}  malformed lines {report['malformed']}",
        f"AvgPerf {_num(t['avg_perf'], 2, '%')}  run cost {_money(t['cost_usd'])}  "
        f"Perf/$ {_num(t['perf_per_dollar'], 2)} (AvgPerf% / run cost)  Codex-only sessions {t['codex_sessions']} "
        f"({_money(t['codex_cost_usd'])})  total spend {_money(t['total_spend_usd'])}",
        f"Cumulative regret {report['regret']['cumulative']:.3f} ({report['regret']['kind']})",
        "",
        _table("Models", ["model", "runs", "avg score", "cost", "points/$"],
               [[str(m["model"]), str(m["runs"]), _num(m["avg_score"]), _money(m["cost_usd"]),
                 _num(m["points_per_usd"], 2)] for m in report["models"]]),
        _table("Dimensions (* = leader)", ["dimension", "model", "runs", "win rate", "avg score", "cost", "points/$"],
               [[d["dimension"], f"{d['model']}{' *' if d['leader'] else ''}", str(d["runs"]),
                 _num(d["win_rate"], 2), _num(d["avg_score"]), _money(d["cost_usd"]), _num(d["points_per_usd"], 2)]
                for d in report["dimensions"]]),
        f"points/$ = {report['units']['points_per_usd']}\n",
        _table("Spend by day", ["day", "model", "cost"],
               [[d["day"], str(d["model"]), _money(d["cost_usd"])] for d in report["spend_by_day"]]),
    ]
    if report["malformed_note"]:
        out.append(report["malformed_note"] + "\n")
    if report["unpriced_models"]:
        out.append("UNPRICED models (add them to prices.toml in the config dir): "
                   + ", ".join(map(str, report["unpriced_models"])) + "\n")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    logs = _check_inputs(args)
    from analytics.paths import codex_home, default_db_path
    from analytics.rollout_prefetch import RolloutPrefetch

    db = args.db or default_db_path(logs, args.codex_home)
    # a new cache reads every rollout: start on them before DuckDB is even loaded
    prefetch = None if db.exists() else RolloutPrefetch(codex_home(args.codex_home))
    try:
        return _run(args, logs, db, prefetch)
    finally:
        if prefetch is not None:
            prefetch.close()


def _run(args: argparse.Namespace, logs: list[Path], db: Path, prefetch: RolloutPrefetch | None) -> int:
    import duckdb

    from analytics.paths import codex_home
    from analytics.prices import PriceBook, PriceFileError
    from analytics.rollout_ingest import RolloutIngester
    from analytics.store import MEMORY, Store, is_corruption

    try:
        book = PriceBook.load()
    except PriceFileError as exc:
        raise CommandError(str(exc), 2) from exc
    store = _open_store(db)

    def collect() -> dict[str, Any]:
        rollouts = RolloutIngester(store, codex_home(args.codex_home), prices=book, prefetch=prefetch).poll()
        from analytics.ingest import LogIngester

        LogIngester(store, logs, prices=book).poll()
        for problem in rollouts.errors:
            print(f"codex-router report: skipped rollout {problem}", file=sys.stderr)
        if args.view:
            from analytics.usage_views import build_view, local_zone

            return build_view(store, args.view, args.since, args.until, args.timezone or local_zone(), logs)
        return build_report(store, args.since, args.until, args.win_threshold, logs)

    try:
        try:
            report = collect()
        except duckdb.Error as exc:
            if not is_corruption(exc) or store.path == MEMORY:
                raise
            store.close()  # damage found while reading our cache: rebuild it from the logs once
            print(f"codex-router report: {store.path} is corrupt ({exc}); rebuilt it from the logs", file=sys.stderr)
            store = Store.rebuild(store.path)
            report = collect()
    except OSError as exc:
        raise CommandError(f"cannot read {exc.filename}: {exc.strerror}", 2) from exc
    finally:
        store.close()
    if args.json:
        print(json.dumps(report, default=str, allow_nan=False))
    else:
        from analytics.usage_views import render_view

        print((render_view if args.view else render)(report), end="")
    return 0
