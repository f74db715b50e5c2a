"""Speed and reference numbers of the bench replay (`codex-router bench`) on CodeRouterBench.

Target: the whole `--split id` run, every router included, in under 60 s. Loads the dataset, replays each
router, and prints one JSON line: load time, per-router seconds and metrics, total seconds, and whether the
target was met.

    .venv/bin/python benchmarks/bench_replay.py [--data DIR] [--split id|ood] [--routers LIST]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from router.datasets import default_coderouterbench

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = default_coderouterbench()
TARGET_SECONDS = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=("id", "ood"), default="id")
    parser.add_argument("--routers", default="oracle,random,always,dimension-best,linucb,static-classifier,acrouter")
    args = parser.parse_args(argv)

    from router.bench import BenchOptions, ReplayResult, expand_router_names, run_routers
    from router.dataset_readers import DatasetError
    from router.datasets import load_dataset

    started = time.perf_counter()
    try:
        dataset = load_dataset(args.data, args.split)
    except DatasetError as exc:
        print(f"bench_replay: {exc}", file=sys.stderr)
        return 2
    load_s = time.perf_counter() - started
    rows = []
    for name in expand_router_names(args.routers.split(","), dataset.probe.models):
        t0 = time.perf_counter()
        (result,) = run_routers(dataset, [name], BenchOptions())
        row = {**result.summary(), "seconds": round(time.perf_counter() - t0, 3)}
        if isinstance(result, ReplayResult):
            row.update(avg_perf=round(result.avg_perf, 2), cum_regret=round(result.cum_regret, 1),
                       cost_usd=round(result.cost_usd, 2),
                       perf_per_dollar=None if result.perf_per_dollar is None else round(result.perf_per_dollar, 2))
        rows.append(row)
    total = time.perf_counter() - started
    print(json.dumps({"benchmark": "bench_replay", "split": args.split, "tasks": len(dataset.test_tasks),
                      "load_s": round(load_s, 3), "total_s": round(total, 3), "target_s": TARGET_SECONDS,
                      "ok": total < TARGET_SECONDS, "routers": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
