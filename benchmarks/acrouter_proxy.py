"""The probing-only proxy ACRouter's defaults were chosen on: how fast it adapts to an unseen, dearer context.

Each (dimension, source) of CodeRouterBench's probing split with at least 50 tasks is held out in turn; the
router is fitted on the rest of the probing split, then replays up to 150 of the held-out tasks (a fixed random
order per ``--seed``) with every cost multiplied by ``--cost-scale`` (50: an agentic-scale shift). No test
split is read. Prints one JSON line per setting: mean AvgPerf, cost per task and reward per task (the router's
own objective, eps_cost in units of $0.10) over the held-out contexts.

``--chain K`` holds out K contexts at once (a seeded shuffle cut into groups of K) and replays them one after
another, ``--per-context`` tasks each: a user whose work moves from one unfamiliar, dearer kind of task to
the next (what ``regime_pool`` is for). Metrics are then means over the groups.

    .venv/bin/python benchmarks/acrouter_proxy.py [--data PATH] [--seed 0] [--cost-scale 50] \\
        [--chain 1] [--per-context 150] [--set optimism=0.05 --set optimism=0.1,regime_z=5 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl  # noqa: E402

from router.acrouter_policy import ACRouterPolicy  # noqa: E402
from router.bench import replay  # noqa: E402
from router.datasets import default_coderouterbench, load_dataset  # noqa: E402
from router.routing import ProbeSet  # noqa: E402
from router.settings import RouterSettings, kappa  # noqa: E402

DEFAULT_DATA = default_coderouterbench()


def parse_setting(text: str) -> dict[str, object]:
    """``a=1,b=true`` -> settings overrides (numbers and booleans), validated by RouterSettings."""
    out: dict[str, object] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        out[key] = value.lower() == "true" if value.lower() in ("true", "false") else float(value)
    RouterSettings.from_mapping(out, source=f"--set {text}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cost-scale", type=float, default=50.0)
    parser.add_argument("--chain", type=int, default=1, help="held-out contexts replayed one after another")
    parser.add_argument("--per-context", type=int, default=150, help="held-out tasks replayed per context")
    parser.add_argument("--set", action="append", default=[], metavar="K=V[,K=V]",
                        help="one settings variant per --set (default: the defaults)")
    args = parser.parse_args()
    probe = load_dataset(args.data, split="id").probe
    contexts = defaultdict(list)
    for task in probe.tasks:
        contexts[(task.dimension, task.metadata.get("source"))].append(task)
    held = sorted((k for k, tasks in contexts.items() if len(tasks) >= 50), key=str)
    rng = random.Random(args.seed)
    orders = {k: rng.sample(contexts[k], min(args.per_context, len(contexts[k]))) for k in held}
    shuffled = rng.sample(held, len(held)) if args.chain > 1 else held
    groups = [shuffled[i:i + args.chain] for i in range(0, len(shuffled) - args.chain + 1, args.chain)]
    for variant in args.set or [""]:
        overrides = parse_setting(variant)
        perf, cost, reward = [], [], []
        for group in groups:
            hold = {t.task_id for key in group for t in contexts[key]}
            rest = ProbeSet([t for t in probe.tasks if t.task_id not in hold],
                            probe.results.filter(~pl.col("task_id").is_in(list(hold))), probe.models)
            tasks = [t for key in group for t in orders[key]]
            outcomes = probe.results.filter(pl.col("task_id").is_in([t.task_id for t in tasks])).with_columns(
                pl.col("cost_usd").fill_nan(0.0).fill_null(0.0) * args.cost_scale)
            settings = RouterSettings.from_mapping(overrides)
            result = replay(ACRouterPolicy(settings=settings, use_memory=False), rest, tasks, outcomes)
            perf.append(result.avg_perf)
            cost.append(result.cost_usd / len(tasks))
            # kappa against the geometric mean of every model's cost on the same task, as the router's reward does
            ref = {r["task_id"]: r["ref"] for r in outcomes.filter(pl.col("cost_usd") > 0).group_by("task_id").agg(
                pl.col("cost_usd").log().mean().exp().alias("ref")).iter_rows(named=True)}
            reward.append(sum(settings.eps_perf * s.score + settings.eps_cost * kappa(s.cost, ref.get(s.task_id))
                              for s in result.steps) / len(tasks))
        n = len(groups)
        print(json.dumps({"settings": overrides, "seed": args.seed, "cost_scale": args.cost_scale, "chain": args.chain,
                          "groups": n,
                          "avg_perf": round(sum(perf) / n, 3), "cost_per_task": round(sum(cost) / n, 5),
                          "reward_per_task": round(sum(reward) / n, 4)}), flush=True)


if __name__ == "__main__":
    main()
