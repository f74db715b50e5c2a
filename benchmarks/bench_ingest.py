"""Ingest speed: cold ingest of a generated routing log vs a bare DuckDB read_json, and a 1,000-line append.

Prints one JSON line. The machine may be shared, so each repeat times both back to back (which one goes
first alternates, both on a fresh database file with default DuckDB settings, the log already in the page
cache for both) and ``ratio`` is the median of the per-repeat ratios; ``cpu_ratio`` is the same for CPU time (on a
busy machine the wall-clock ratio drifts toward it, as the parallel parts stop overlapping). Targets (issue #2):
ratio = ingest / bare read_json <= 1.5; append < 50 ms.
Usage: python benchmarks/bench_ingest.py [--lines 1000000] [--repeats 5] [--append 1000] [--append-repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

MODELS = ("claude-opus-4-6", "claude-sonnet-4-6", "gpt-5.4", "glm-5", "kimi-k2.5", "MiniMax-M2.7",
          "Qwen3-Max", "qwen3.5-plus")
DIMENSIONS = ("code_generation", "algorithm", "bug_fixing", "code_completion", "code_refactoring",
              "data_science", "multi_language", "code_understanding", "test_generation", "agentic")


def _events(count: int, rng: random.Random, start: int = 0):
    """A realistic mix: each task is a route, a few tool calls, a turn and an outcome."""
    base = 1_790_000_000
    for i in range(start, start + count):
        task = f"t-{i // 5}"
        model = MODELS[(i // 5) % len(MODELS)]
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + i * 7)) + f".{i % 1000:03d}Z"
        kind = ("route", "tool", "tool", "turn", "outcome")[i % 5]
        record = {"v": 1, "ts": ts, "event": kind, "task_id": task, "model": model, "cwd": "/home/u/proj",
                  "session_id": f"s-{i // 50}"}
        if kind == "route":
            record.update(task="fix the failing test in parser.py", dimension=DIMENSIONS[i % 10],
                          language="python", difficulty="medium", router="acrouter", propensity=0.9,
                          decision={"policy": "acrouter", "chosen": model, "propensity": 0.9,
                                    "candidates": [{"model": m, "exp_score": rng.random(), "prob": 0.125}
                                                   for m in MODELS[:3]]})
        elif kind == "tool":
            record.update(tool="shell", exit_code=rng.choice((0, 0, 1)))
        elif kind == "outcome":
            record.update(dimension=DIMENSIONS[i % 10], score=round(rng.random(), 3), status="ok",
                          tokens={"input": rng.randrange(1000, 90000), "cached_input": 500,
                                  "output": rng.randrange(100, 9000), "reasoning": 50},
                          latency_ms=rng.randrange(1000, 60000), verifier={"tests": 1.0, "ast": 1.0})
        yield json.dumps(record, separators=(",", ":"))


def _cpu_s() -> float:
    """CPU seconds of this process, every thread (DuckDB's included): the work done, whatever the machine's load."""
    times = os.times()
    return times.user + times.system


def write_log(path: Path, lines: int, rng: random.Random, start: int = 0, mode: str = "w") -> None:
    with path.open(mode, encoding="utf-8") as handle:
        batch: list[str] = []
        for line in _events(lines, rng, start):
            batch.append(line)
            if len(batch) >= 10_000:
                handle.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            handle.write("\n".join(batch) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines in the generated log")
    parser.add_argument("--append", type=int, default=1000, help="lines in the timed append")
    parser.add_argument("--repeats", type=int, default=5,
                        help="cold ingests (each beside a bare read_json); medians are reported")
    parser.add_argument("--append-repeats", type=int, default=5,
                        help="timed appends; the median is reported (the machine may be shared)")
    parser.add_argument("--malformed", type=int, default=2000,
                        help="lines, none of them JSON, in a separate timed ingest (the Python path)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="where to write the log and databases (default: a temp dir)")
    args = parser.parse_args(argv)
    if min(args.lines, args.append, args.repeats, args.append_repeats) < 1:
        parser.error("--lines, --append, --repeats and --append-repeats must be positive")

    import duckdb

    from analytics.ingest import LogIngester
    from analytics.prices import PriceBook
    from analytics.store import Store

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        log = work / "routing_log.jsonl"
        rng = random.Random(args.seed)
        write_log(log, args.lines, rng)
        book = PriceBook.load(work / "no-overrides.toml")

        def run_bare(repeat: int) -> int:
            bare = duckdb.connect(str(work / f"bare{repeat}.duckdb"))
            start, cpu = time.perf_counter(), _cpu_s()
            bare.execute(f"CREATE TABLE t AS SELECT * FROM read_json('{log}', format = 'newline_delimited')")
            bare_times.append(time.perf_counter() - start)
            bare_cpu.append(_cpu_s() - cpu)
            rows = bare.execute("SELECT count(*) FROM t").fetchall()[0][0]
            bare.close()
            (work / f"bare{repeat}.duckdb").unlink()
            return rows

        def run_ours(repeat: int) -> tuple[Store, LogIngester, int]:
            store = Store(work / f"routing{repeat}.duckdb")
            ingester = LogIngester(store, [log], prices=book)
            start, cpu = time.perf_counter(), _cpu_s()
            events = ingester.poll().new_events
            cold_times.append(time.perf_counter() - start)
            cold_cpu.append(_cpu_s() - cpu)
            return store, ingester, events

        # Bare DuckDB vs ours back to back (alternating who goes first) so both see the same machine load.
        bare_times, cold_times, bare_rows, cold_events = [], [], set(), set()
        bare_cpu, cold_cpu = [], []
        store = None
        for repeat in range(args.repeats):
            if store is not None:
                store.close()
                (work / f"routing{repeat - 1}.duckdb").unlink()
            if repeat % 2:
                store, ingester, events = run_ours(repeat)
                bare_rows.add(run_bare(repeat))
            else:
                bare_rows.add(run_bare(repeat))
                store, ingester, events = run_ours(repeat)
            cold_events.add(events)
        ratios = [c / b for c, b in zip(cold_times, bare_times, strict=True)]

        append_times, appended_events = [], []
        for repeat in range(args.append_repeats):
            write_log(log, args.append, rng, start=args.lines + repeat * args.append, mode="a")
            start = time.perf_counter()
            appended_events.append(ingester.poll().new_events)
            append_times.append(time.perf_counter() - start)
        append_s = statistics.median(append_times)

        start = time.perf_counter()
        ingester.poll()
        idle_s = time.perf_counter() - start
        store.close()

        bad = work / "malformed.jsonl"
        bad.write_text("".join(f"not json {i}\n" for i in range(args.malformed)), encoding="utf-8")
        with Store(":memory:") as scratch:
            start = time.perf_counter()
            kept = LogIngester(scratch, [bad], prices=book).poll().new_malformed
            malformed_s = time.perf_counter() - start

    if cold_events != {args.lines} or bare_rows != {args.lines} or set(appended_events) != {args.append}:
        print(f"bench_ingest: row counts differ: ingest {sorted(cold_events)}, read_json {sorted(bare_rows)}, "
              f"appends {appended_events}", file=sys.stderr)
        return 1
    ratio = statistics.median(ratios)
    print(json.dumps({
        "bench": "ingest", "lines": args.lines, "cold_ingest_s": round(statistics.median(cold_times), 3),
        "duckdb_read_json_s": round(statistics.median(bare_times), 3), "ratio": round(ratio, 3),
        "ratio_target": 1.5, "malformed_lines": kept, "malformed_ingest_s": round(malformed_s, 3), "ratios_each_run": [round(r, 3) for r in ratios],
        "cpu_ratio": round(statistics.median(c / b for c, b in zip(cold_cpu, bare_cpu, strict=True)), 3),
        "cold_ingest_s_each": [round(t, 3) for t in cold_times], "read_json_s_each": [round(t, 3) for t in bare_times],
        "append_lines": args.append, "append_ms": round(append_s * 1000, 1), "append_target_ms": 50,
        "append_ms_all": [round(t * 1000, 1) for t in append_times],
        "idle_poll_ms": round(idle_s * 1000, 3),
        "ok": ratio <= 1.5 and append_s < 0.05,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
