"""What static routing could reach *with hindsight on the test answers*: a ceiling for the bench targets.

Groups the test tasks by what the router can see (the task's ``bench``/``source`` metadata, else its
dimension) and, for each exchange rate ``lam`` (score points given up per dollar saved), assigns every group
the one model maximising ``sum(score) - lam * sum(cost)`` over the group's test tasks. Sweeping ``lam`` traces
the convex Pareto frontier of per-group static routing. No online router that must *learn* which model suits a
group can beat this frontier without telling tasks apart inside a group, and it pays for its exploration on
top. Prints one JSON line: the always-<model> references, the frontier points, and, for the target
"AvgPerf >= --min-perf with Perf/$ strictly above every always-<model> with AvgPerf >= --always-floor", the
cheapest frontier point meeting it and the exploration budget (dollars) left above it; and per eps_cost of
``--known-means``, the known-means point (``known_means_point``).

    .venv/bin/python benchmarks/hindsight_frontier.py [--data DIR] [--split id|ood] [--min-perf 63] \\
        [--always-floor 60] [--known-means EPS[,EPS]]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from analytics.metrics import perf_per_dollar  # noqa: E402
from router.bench import OutcomeTable  # noqa: E402
from router.dataset_readers import DatasetError  # noqa: E402
from router.datasets import BenchDataset, default_coderouterbench, load_dataset  # noqa: E402

DEFAULT_DATA = default_coderouterbench()
GROUP_KEYS = ("bench", "source", "repo")


def group_of(task) -> str:
    """The finest label a router sees before routing: benchmark/source metadata, else the dimension."""
    for key in GROUP_KEYS:
        if task.metadata.get(key):
            return f"{key}={task.metadata[key]}"
    return f"dimension={task.dimension}"


def load_or_exit(parser: argparse.ArgumentParser, data: Path, split: str) -> BenchDataset:
    """The dataset, or the parser's usage error naming what is wrong with it (exit 2)."""
    try:
        return load_dataset(data, split)
    except DatasetError as exc:
        parser.error(str(exc))


def target_parser(description: str | None) -> argparse.ArgumentParser:
    """The options every ceiling study of the `ood` target shares: data, split, the AvgPerf asked, the bar."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=("id", "ood"), default="ood")
    parser.add_argument("--min-perf", type=float, default=63.0, help="AvgPerf %% the target asks for")
    parser.add_argument("--always-floor", type=float, default=60.0,
                        help="always-<model> routers at or above this AvgPerf %% set the Perf/$ bar")
    return parser


def target_point(perf_sum: float, cost_sum: float, tasks: int) -> dict[str, float]:
    """AvgPerf %, total cost and Perf/$ of a routing that scored ``perf_sum`` over ``tasks`` for ``cost_sum``."""
    perf = 100.0 * perf_sum / tasks
    return {"avg_perf": round(perf, 2), "cost_usd": round(cost_sum, 2),
            "perf_per_dollar": round(perf_per_dollar(perf, cost_sum) or 0.0, 3)}


def always_bar(table: OutcomeTable, floor: float) -> tuple[dict[str, dict[str, float]], float]:
    """Each always-<model> point, and the Perf/$ to beat: the best of those with AvgPerf >= ``floor``."""
    n = len(table.best)
    always = {m: target_point(table.score[:, j].sum(), table.cost[:, j].sum(), n) for j, m in enumerate(table.models)}
    return always, max((p["perf_per_dollar"] for p in always.values() if p["avg_perf"] >= floor), default=0.0)


def static_frontier(dataset: BenchDataset, table: OutcomeTable | None = None,
                    ) -> tuple[dict[str, int], list[dict[str, object]]]:
    """The groups (name -> test tasks) and the hindsight frontier of per-group static routing, cheapest last."""
    table = table or OutcomeTable(dataset.test_tasks, dataset.test_results, dataset.probe.models)
    n = len(dataset.test_tasks)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, task in enumerate(dataset.test_tasks):
        groups[group_of(task)].append(i)
    score = {g: table.score[idx].sum(axis=0) for g, idx in groups.items()}
    cost = {g: table.cost[idx].sum(axis=0) for g, idx in groups.items()}
    frontier: list[dict[str, object]] = []
    for lam in [0.0, *np.geomspace(1e-3, 1e4, 400)]:
        choice = {g: int(np.argmax(score[g] - lam * cost[g] + 1e-12 * score[g])) for g in groups}
        entry = {**target_point(sum(score[g][j] for g, j in choice.items()), sum(cost[g][j] for g, j in choice.items()), n),
                 "lam": round(float(lam), 4), "models": {g: table.models[j] for g, j in sorted(choice.items())}}
        if not frontier or entry["models"] != frontier[-1]["models"]:
            frontier.append(entry)
    return {g: len(i) for g, i in groups.items()}, frontier


def known_means_point(dataset: BenchDataset, eps_cost: float, eps_perf: float = 1.0,
                      table: OutcomeTable | None = None) -> dict[str, object]:
    """Where the router's own reward leads when it knows every group's test answers: per group the model with
    the best ``eps_perf x mean score + eps_cost x kappa(mean cost)`` (kappa against the geometric mean of the
    models' mean costs there, ties to the cheapest, as ``router.policy``). What a router that learnt each group
    perfectly would do at that cost weight, exploration free: the aim of the knob, not of a target.
    """
    from router.policy import rank_key
    from router.settings import kappa

    table = table or OutcomeTable(dataset.test_tasks, dataset.test_results, dataset.probe.models)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, task in enumerate(dataset.test_tasks):
        groups[group_of(task)].append(i)
    perf_sum = cost_sum = 0.0
    models = {}
    for g, idx in sorted(groups.items()):
        score = table.score[idx].mean(axis=0)
        with np.errstate(all="ignore"):
            cost = np.nanmean(table.cost[idx], axis=0)
        priced = cost[np.isfinite(cost) & (cost > 0)]
        reference = float(np.exp(np.log(priced).mean())) if priced.size else 0.0
        reward = eps_perf * score + eps_cost * kappa(np.nan_to_num(cost), reference)
        j = min(range(len(table.models)), key=lambda j: rank_key(float(reward[j]), float(np.nan_to_num(cost[j])),
                                                                   table.models[j]))
        models[g] = table.models[j]
        perf_sum += float(table.score[idx, j].sum())
        cost_sum += float(np.nansum(table.cost[idx, j]))
    return {**target_point(perf_sum, cost_sum, len(table.best)), "models": models}


def main(argv: list[str] | None = None) -> int:
    parser = target_parser(__doc__)
    parser.add_argument("--known-means", default="0,-0.05,-0.1,-0.2,-0.4,-0.8,-1.6", metavar="EPS[,EPS]",
                        help="eps_cost values at which to report the known-means point (known_means_point)")
    args = parser.parse_args(argv)
    try:
        known_eps = [float(x) for x in args.known_means.split(",") if x.strip()]
    except ValueError:
        parser.error(f"--known-means: expected comma-separated numbers (got {args.known_means!r})")

    dataset = load_or_exit(parser, args.data, args.split)
    table = OutcomeTable(dataset.test_tasks, dataset.test_results, dataset.probe.models)
    n = len(dataset.test_tasks)
    groups, frontier = static_frontier(dataset, table)
    always, bar = always_bar(table, args.always_floor)
    meeting = [p for p in frontier if p["avg_perf"] >= args.min_perf and p["perf_per_dollar"] > bar]
    best = min(meeting, key=lambda p: p["cost_usd"], default=None)
    budget = None
    if best is not None:
        # Perf/$ stays above the bar while the total cost is below AvgPerf / bar: what is left for exploration.
        budget = round(best["avg_perf"] / bar - best["cost_usd"], 2) if bar > 0 else None
    print(json.dumps({
        "dataset": dataset.name, "split": dataset.split, "tasks": n, "groups": groups,
        "always": always, "perf_per_dollar_bar": bar, "min_perf": args.min_perf,
        "frontier": frontier, "cheapest_meeting_target": best, "exploration_budget_usd": budget,
        "known_means": {f"{eps:g}": known_means_point(dataset, eps, table=table) for eps in known_eps},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
