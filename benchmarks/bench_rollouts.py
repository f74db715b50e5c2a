"""Codex rollout scan: our cold and warm times beside ccusage's on the same generated tree, and both tools'
totals against the tree's true usage.

The tree (``analytics.rollout_tree``) holds forks, sub-agents, resumes, re-sent events, model switches,
midnight crossings, archived and ``.jsonl.zst`` files. ccusage skips ``.zst`` files, so timings are compared
like with like on a copy of the tree without them (hard links to the same ``.jsonl`` files); our totals are
checked on the full tree as well. Our time is the whole ``codex-router report --json`` process (cold: a new
cache; warm: run again on it; ``ours_daily_warm_s``: ``report daily --json``, ccusage's own view, warm), as
ccusage's is the whole ``ccusage codex daily --json --offline`` process:
start-up, imports and all, as a user sees it; ``ingest_*_s`` is the rollout poll alone, in this process, for
reference only. Each pair is run back to back, the order alternating, and the medians compared (the machine
may be shared: the load average is printed). Targets (issue 14): cold within 2x of ccusage; warm <= 0.5 s
for the whole process.

ccusage comes from the npm registry, pinned (20.0.24 ships its Linux x64 binary, 20.0.26 did not), installed
once into a cache folder outside the repository (``--cache-dir``).

Usage: python benchmarks/bench_rollouts.py [--sessions 1000] [--payload-bytes 4000] [--repeats 3]
       [--no-ccusage] [--ccusage-version 20.0.24] [--cache-dir ~/.cache/codex-router-tui-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD_RATIO_TARGET = 2.0
WARM_TARGET_S = 0.5
TOKEN_KEYS = ("input", "cached_input", "output", "reasoning")


def ensure_ccusage(version: str, cache_dir: Path) -> Path | None:
    """The pinned ccusage CLI, installed with npm into ``cache_dir`` on first use (None without npm)."""
    prefix = cache_dir / f"ccusage-{version}"
    binary = prefix / "node_modules" / ".bin" / "ccusage"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        return None
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), f"ccusage@{version}"],
                   check=True, stdout=subprocess.DEVNULL)
    return binary if binary.exists() else None


def plain_copy(home: Path, target: Path) -> None:
    """``home`` without its .jsonl.zst files, as hard links (no bytes copied)."""
    for path in home.rglob("rollout-*.jsonl"):
        link = target / path.relative_to(home)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, link)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the process and its children) and stdout of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def our_totals(db: Path) -> dict[str, int]:
    from analytics.store import Store

    with Store(db, read_only=True) as store:
        row = store.execute("SELECT sum(input), sum(cached_input), sum(output), sum(reasoning), "
                            "sum(cost) FROM session_spend").fetchall()[0]
    return {**dict(zip(TOKEN_KEYS, map(int, row[:4]), strict=True)), "cost_usd": row[4]}


def ccusage_totals(out: str) -> dict[str, float]:
    """ccusage's totals in our terms (its inputTokens excludes cached reads; ours includes them)."""
    totals = json.loads(out)["totals"]
    return {"input": totals["inputTokens"] + totals["cacheReadTokens"], "cached_input": totals["cacheReadTokens"],
            "output": totals["outputTokens"], "reasoning": totals["reasoningOutputTokens"],
            "cost_usd": totals["costUSD"]}


def off_by(got: dict, truth: dict) -> dict[str, float]:
    """Per figure, how far from the truth in percent (0.0 = exact)."""
    return {k: round(100 * (got[k] - truth[k]) / truth[k], 3) if truth[k] else float(got[k] != 0)
            for k in truth}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--payload-bytes", type=int, default=4000,
                        help="mean size of a response item's text (the issue's tree: ~118 KB per session)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-ccusage", action="store_true")
    parser.add_argument("--ccusage-version", default="20.0.24")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "codex-router-tui-bench")
    args = parser.parse_args()

    from analytics.prices import PriceBook
    from analytics.rollout_ingest import RolloutIngester
    from analytics.rollout_tree import generate
    from analytics.store import Store

    ccusage = None if args.no_ccusage else ensure_ccusage(args.ccusage_version, args.cache_dir.expanduser())
    load_start = [round(x, 1) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench-rollouts-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        tree = generate(work / "full", sessions=args.sessions, seed=args.seed, payload_bytes=args.payload_bytes)
        generate_s = time.perf_counter() - started
        plain_copy(tree.home, work / "plain")
        plain_bytes = sum(p.stat().st_size for p in (work / "plain").rglob("*.jsonl"))
        empty_log = work / "routing_log.jsonl"
        empty_log.write_bytes(b"")
        book = PriceBook.load(work / "no-overrides.toml")
        base_env = {**os.environ, "CODEX_ROUTER_CONFIG_DIR": str(work / "config"),
                    "CODEX_ROUTER_DATA_DIR": str(work / "data"), "TZ": "UTC", "PYTHONPATH": str(ROOT)}

        def ours(home: Path, db: Path, *view: str) -> tuple[float, float, str]:
            return timed([sys.executable, "-m", "hooks.cli", "report", *view, "--codex-home", str(home), "--log",
                          str(empty_log), "--db", str(db), "--json"], {**base_env, "CODEX_HOME": str(home)})

        runs: dict[str, list[float]] = {k: [] for k in ("ours_cold", "ours_warm", "ours_cold_cpu", "ours_warm_cpu",
                                                        "ours_daily_warm", "ccusage", "ccusage_cpu",
                                                        "ours_full_cold")}
        ccusage_out = ""
        for repeat in range(args.repeats):
            db = work / f"plain-{repeat}.duckdb"
            steps = ["ours", "ccusage"] if repeat % 2 == 0 else ["ccusage", "ours"]
            for step in steps:
                if step == "ours":
                    wall, cpu, _ = ours(work / "plain", db)
                    runs["ours_cold"].append(wall)
                    runs["ours_cold_cpu"].append(cpu)
                    wall, cpu, _ = ours(work / "plain", db)
                    runs["ours_warm"].append(wall)
                    runs["ours_warm_cpu"].append(cpu)
                    runs["ours_daily_warm"].append(ours(work / "plain", db, "daily")[0])
                elif ccusage is not None:
                    wall, cpu, ccusage_out = timed([str(ccusage), "codex", "daily", "--json", "--offline"],
                                                   {**base_env, "CODEX_HOME": str(work / "plain")})
                    runs["ccusage"].append(wall)
                    runs["ccusage_cpu"].append(cpu)
            runs["ours_full_cold"].append(ours(tree.home, work / f"full-{repeat}.duckdb")[0])
        plain_ours = our_totals(work / "plain-0.duckdb")
        full_ours = our_totals(work / "full-0.duckdb")

        with Store(work / "ingest.duckdb") as store:  # the rollout poll alone, in this process
            ingester = RolloutIngester(store, tree.home, prices=book)
            started = time.perf_counter()
            ingester.poll()
            ingest_cold = time.perf_counter() - started
            started = time.perf_counter()
            ingester.poll()
            ingest_warm = time.perf_counter() - started

    truth_full = {**tree.totals(), "cost_usd": tree.cost(book)}
    truth_plain = {**tree.totals(plain_only=True), "cost_usd": tree.cost(book, plain_only=True)}
    truth_full.pop("cache_write")
    truth_plain.pop("cache_write")
    median = {k: statistics.median(v) if v else None for k, v in runs.items()}
    result = {
        "bench": "rollouts", "sessions": tree.sessions, "forks": tree.forks, "subagents": tree.subagents,
        "resumes": tree.resumes, "files": tree.files, "zst_files": tree.zst_files, "mb": round(tree.bytes / 1e6, 1),
        "plain_mb": round(plain_bytes / 1e6, 1), "generate_s": round(generate_s, 1), "cpus": os.cpu_count(),
        "load_avg_start": load_start, "load_avg": [round(x, 1) for x in os.getloadavg()],
        "ours_cold_s": round(median["ours_cold"], 3), "ours_warm_s": round(median["ours_warm"], 3),
        "ours_cold_cpu_s": round(median["ours_cold_cpu"], 3), "ours_warm_cpu_s": round(median["ours_warm_cpu"], 3),
        "ours_daily_warm_s": round(median["ours_daily_warm"], 3),
        "ours_full_tree_cold_s": round(median["ours_full_cold"], 3),
        "ingest_cold_s": round(ingest_cold, 3), "ingest_warm_s": round(ingest_warm, 3),
        "ours_cold_each": [round(t, 3) for t in runs["ours_cold"]],
        "ours_warm_each": [round(t, 3) for t in runs["ours_warm"]],
        "truth": {k: round(v, 4) for k, v in truth_full.items()},
        "ours_off_by_pct": off_by(full_ours, truth_full), "ours_plain_off_by_pct": off_by(plain_ours, truth_plain),
    }
    if median["ccusage"] is not None:
        ccu = ccusage_totals(ccusage_out)
        ratio = median["ours_cold"] / median["ccusage"]
        result.update({
            "ccusage_version": args.ccusage_version, "ccusage_s": round(median["ccusage"], 3),
            "ccusage_cpu_s": round(median["ccusage_cpu"], 3),
            "cold_cpu_ratio": round(median["ours_cold_cpu"] / median["ccusage_cpu"], 3),
            "ccusage_each": [round(t, 3) for t in runs["ccusage"]],
            "cold_ratio": round(ratio, 3), "cold_ratio_target": COLD_RATIO_TARGET,
            "truth_plain": {k: round(v, 4) for k, v in truth_plain.items()},
            "ccusage_totals": ccu,
            "ccusage_off_by_pct": {k: v for k, v in off_by(ccu, truth_plain).items() if k != "cost_usd"},
            "note": "timings on the tree without .zst files (ccusage skips them); ccusage prices with its own table",
        })
    result["warm_target_s"] = WARM_TARGET_S
    result["warm_note"] = "ours_warm_s and ccusage_s are whole processes (start-up included); ingest_* is in-process"
    result["ok"] = median["ours_warm"] <= WARM_TARGET_S and (
        median["ccusage"] is None or median["ours_cold"] / median["ccusage"] <= COLD_RATIO_TARGET)
    print(json.dumps(result, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
