"""Dashboard query speed on a 1,000,000-event database: each panel's query, timed on its own.

The log comes from the same generator as bench_ingest.py (route / tools / turn / outcome per task). With
``--workdir`` the log and the database are kept and reused: the log is written once per (lines, seed), and
the database is brought up to date by the real ``LogIngester`` (a no-op when it already is; rebuilt when the
store version changed). ``--log`` times an existing log instead (e.g. the one bench_tui.py builds from the
sample log's real router decisions, whose route lines are ~7x longer). Each query runs once to warm up, then
``--repeats`` times; the median is reported. Prints one JSON line. Target: every dashboard query under 1 s.
Usage: python benchmarks/bench_queries.py [--lines 1000000] [--repeats 5] [--workdir DIR] [--log PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_ingest import write_log

TARGET_S = 1.0


def _queries():
    from analytics import event_queries, regret_queries, run_queries, spend_queries

    return {
        "totals": run_queries.totals,
        "model_stats": run_queries.model_stats,
        "dimension_model_stats": run_queries.dimension_model_stats,
        "regret_over_time": regret_queries.regret_over_time,
        "spend_by_day": spend_queries.spend_by_day,
        "recent_events": event_queries.recent_events,
        "usage_by_period_day_berlin": lambda store: spend_queries.usage_by_period(store, "day", tz="Europe/Berlin"),
        "usage_by_period_session": lambda store: spend_queries.usage_by_period(store, "session"),
    }


def _log(work: Path, lines: int, seed: int) -> Path:
    """The generated log, written once per (lines, seed); a half-written one is never reused."""
    path = work / f"routing_log-{lines}-{seed}.jsonl"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_log(partial, lines, random.Random(seed))
        partial.replace(path)
    return path


def run(work: Path, lines: int, seed: int, repeats: int, log: Path | None = None) -> dict:
    from analytics.ingest import LogIngester
    from analytics.prices import PriceBook
    from analytics.store import Store

    if log is None:
        log = _log(work, lines, seed)
    else:
        with log.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
    store, rebuilt = Store.open_or_rebuild(work / f"queries-{log.stem}.duckdb")
    with store:
        start = time.perf_counter()
        LogIngester(store, [log], prices=PriceBook.load(work / "no-overrides.toml")).poll()
        ingest_s = time.perf_counter() - start
        events, malformed = store.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM malformed)").fetchall()[0]
        if events + malformed != lines:
            raise SystemExit(f"bench_queries: {events} events + {malformed} malformed lines in the database, "
                             f"expected {lines} lines")
        times: dict[str, list[float]] = {}
        rows: dict[str, int] = {}
        for name, query in _queries().items():
            rows[name] = query(store).height  # warm-up
            times[name] = []
            for _ in range(repeats):
                start = time.perf_counter()
                query(store)
                times[name].append(time.perf_counter() - start)
    medians = {name: round(statistics.median(each), 4) for name, each in times.items()}
    return {
        "bench": "queries", "log": str(log), "events": events, "malformed": malformed,
        "ingest_s": round(ingest_s, 3), "db_rebuilt": rebuilt,
        "query_s": medians, "query_s_each": {n: [round(t, 4) for t in each] for n, each in times.items()},
        "rows": rows, "target_s": TARGET_S, "ok": max(medians.values()) < TARGET_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="events in the generated log")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per query; the median is reported")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path,
                        help="keep the log and database here and reuse them next time (default: a temp dir)")
    parser.add_argument("--log", type=Path, help="time the queries on this routing log instead of a generated one")
    args = parser.parse_args(argv)
    if min(args.lines, args.repeats) < 1:
        parser.error("--lines and --repeats must be positive")
    if args.log is not None and not args.log.is_file():
        parser.error(f"--log {args.log}: no such file")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        result = run(args.workdir, args.lines, args.seed, args.repeats, args.log)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(Path(tmp), args.lines, args.seed, args.repeats, args.log)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
