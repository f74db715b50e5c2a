"""How far nearest-neighbour routing over prompt embeddings could go *with full information*: a ceiling.

A kNN router sees, for each new task, the earlier test tasks whose prompts are similar (cosine >= threshold,
the top k). Here it is also shown *every* model's result on those neighbours (the real router only learns
the one model it ran: bandit feedback), and a task without neighbours gets the single model that is best on
the whole test split with hindsight at the same exchange rate. Each model's expected score is the
neighbours' mean (one pseudo-outcome at 0.5), its cost the neighbours' mean cost, and the router picks the
model maximising ``score - lam * cost``. Any router whose kNN vote learns from its own runs only does worse.
Sweeps threshold x k x lam and prints one JSON line: the grid, the best AvgPerf reached, and the points
meeting the target "AvgPerf >= --min-perf at <= --budget with Perf/$ strictly above every always-<model>
with AvgPerf >= --always-floor" (none on CodeRouterBench OOD176).

    .venv/bin/python benchmarks/knn_ceiling.py [--data DIR] [--split id|ood] [--min-perf 63] [--budget 25]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from hindsight_frontier import always_bar, load_or_exit, target_parser, target_point  # noqa: E402

from router.bench import OutcomeTable  # noqa: E402
from router.embedding import Embedder  # noqa: E402

THRESHOLDS = (0.2, 0.3, 0.4, 0.5)
KS = (5, 10, 20)
LAMS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def knn_route(similar: np.ndarray, table: OutcomeTable, threshold: float, k: int, lam: float) -> tuple[float, float]:
    """Total score and cost of full-information kNN routing in test order."""
    fallback = int(np.argmax(table.score.sum(axis=0) - lam * table.cost.sum(axis=0)))
    score = cost = 0.0
    for i in range(len(table.best)):
        earlier = np.flatnonzero(similar[i, :i] >= threshold)
        neighbours = earlier[np.argsort(-similar[i, earlier], kind="stable")[:k]]
        if len(neighbours):
            expected = (table.score[neighbours].sum(axis=0) + 0.5) / (len(neighbours) + 1)
            choice = int(np.argmax(expected - lam * table.cost[neighbours].mean(axis=0)))
        else:
            choice = fallback
        score += table.score[i, choice]
        cost += table.cost[i, choice]
    return score, cost


def main(argv: list[str] | None = None) -> int:
    parser = target_parser(__doc__)
    parser.add_argument("--budget", type=float, default=25.0, help="total USD the target allows")
    args = parser.parse_args(argv)

    dataset = load_or_exit(parser, args.data, args.split)
    tasks = dataset.test_tasks
    if any(not task.text for task in tasks):
        parser.error(f"{args.data}: split {args.split!r} has test tasks without a prompt; kNN needs the text")
    table = OutcomeTable(tasks, dataset.test_results, dataset.probe.models)
    vectors = Embedder().encode([task.text for task in tasks])
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similar = vectors @ vectors.T
    _, bar = always_bar(table, args.always_floor)
    grid = []
    for threshold in THRESHOLDS:
        with_neighbour = float(np.mean([(similar[i, :i] >= threshold).any() for i in range(len(tasks))]))
        for k in KS:
            for lam in LAMS:
                point = target_point(*knn_route(similar, table, threshold, k, lam), len(tasks))
                grid.append({"threshold": threshold, "k": k, "lam": lam, "share_with_neighbour": round(with_neighbour, 3),
                             **point})
    meeting = [p for p in grid if p["avg_perf"] >= args.min_perf and p["cost_usd"] <= args.budget
               and p["perf_per_dollar"] > bar]
    print(json.dumps({
        "dataset": dataset.name, "split": dataset.split, "tasks": len(tasks), "perf_per_dollar_bar": bar,
        "best_avg_perf": max(grid, key=lambda p: p["avg_perf"]),
        "best_within_budget": max((p for p in grid if p["cost_usd"] <= args.budget), key=lambda p: p["avg_perf"],
                                  default=None),
        "meeting_target": meeting, "grid": grid,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
