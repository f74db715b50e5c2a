"""How long `codex-router route --dry-run TASK` takes in a fresh process, and whether it writes anything but
its own progress line to stderr (issue 15: 17 s and "Loading weights" bars).

Each run is a new interpreter in its own temporary Codex home, config and data dirs. ``cold``: the first run
in an empty data dir; ``warm``: the next runs (the classifier's prototype vectors are cached by then).
Prints one JSON line: median wall and CPU seconds (user + sys, of the child) per kind, and the stderr lines
that are not ours. ``--repo`` times another checkout with this interpreter (e.g. main, for a before figure).

    .venv/bin/python benchmarks/bench_route_cli.py [--runs 3] [--repo PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TASK = "fix the flaky test in app/invoices.py"


def _run(repo: Path, dirs: Path) -> dict[str, object]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CODEX_ROUTER_PROBING_DATA": "", "PYTHONPATH": str(repo),
           "CODEX_HOME": str(dirs / "codex"), "CODEX_ROUTER_CONFIG_DIR": str(dirs / "config"),
           "CODEX_ROUTER_DATA_DIR": str(dirs / "data")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hooks.cli", "route", "--dry-run", "--log",
                           str(dirs / "log.jsonl"), TASK], cwd=repo, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"route --dry-run failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    foreign = [line for line in done.stderr.splitlines() if line and not line.startswith("[route] ")]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "foreign_stderr": foreign}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="warm runs after the cold one (default 3)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout to time (default: this one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-route-") as tmp:
        dirs = Path(tmp)
        for sub in ("codex", "config", "data"):
            (dirs / sub).mkdir()
        runs = [_run(args.repo.resolve(), dirs) for _ in range(1 + args.runs)]
    cold, warm = runs[0], runs[1:]
    print(json.dumps({
        "repo": str(args.repo.resolve()), "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
        "cold": {"wall_s": round(cold["wall_s"], 2), "cpu_s": round(cold["cpu_s"], 2)},
        "warm": {"runs": len(warm), "wall_s": round(statistics.median(r["wall_s"] for r in warm), 2),
                 "cpu_s": round(statistics.median(r["cpu_s"] for r in warm), 2)},
        "foreign_stderr_lines": sorted({line for r in runs for line in r["foreign_stderr"]})[:5],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
