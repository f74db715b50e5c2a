"""Validate the what-if estimators against truth on CodeRouterBench, where every model's result is known.

1. Replay the exploring router (ACRouter, exploration 0.1) over the ID test tasks with bandit feedback
   (``router.bench.replay``) and record what it would have logged: each route's decision (candidates and
   their probabilities) and the chosen model's outcome.
2. Estimate three other settings off-policy on that log (IPS, SNIPS, DR; 95 % bootstrap intervals).
3. Compare with two truths:
   * ``replay``: the other setting replayed for real (it learns from its own choices, so its router state
     drifts from the logger's: an estimate on the log is not required to match this exactly);
   * ``same-states``: the other setting's choice probabilities on the very decisions the log holds, times
     every model's known result: exactly the quantity the estimators target.
Repeated over several logging seeds, it prints one table row per (seed, setting, metric, estimator),
the coverage of each truth, and one JSON summary line at the end.

    python benchmarks/whatif_validation.py [--data PATH] [--seeds 5] [--limit N] [--out-log PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from analytics.logwriter import append_event
from analytics.metrics import perf_per_dollar  # noqa: E402
from router import whatif
from router.acrouter_policy import ACRouterPolicy
from router.bench import OutcomeTable, replay
from router.dataset_readers import DatasetError
from router.datasets import default_coderouterbench, load_dataset
from router.policy import ACRouter
from router.routing import Choice, RoutingTask
from router.settings import RouterSettings

DEFAULT_DATA = default_coderouterbench()
LOGGING = {"exploration": 0.1}
CANDIDATES = {
    "greedy (exploration 0)": {"exploration": 0.0},
    "cheaper (eps_cost -0.5, expl. 0)": {"eps_cost": -0.5, "exploration": 0.0},
    "perf only (eps_cost 0, expl. 0)": {"eps_cost": 0.0, "exploration": 0.0},
}
METRICS = ("avg_perf", "total_cost", "perf_per_dollar")


class LoggingPolicy:
    """ACRouterPolicy that keeps what the router would write to the routing log (route + outcome)."""

    def __init__(self, inner: ACRouterPolicy) -> None:
        self.inner = inner
        self.name = inner.name
        self.events: list[dict[str, Any]] = []
        self._routes: dict[str, dict[str, Any]] = {}

    def fit(self, probe: Any) -> None:
        self.inner.fit(probe)

    def choose(self, task: RoutingTask) -> Choice:
        choice = self.inner.choose(task)
        route = {"event": "route", "task_id": task.task_id, "dimension": task.dimension, "model": choice.model,
                 "router": self.name, "propensity": choice.propensity, "decision": dict(choice.explanation or {})}
        self.events.append(route)
        return choice

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        self.inner.observe(task, model, score, cost_usd)
        self.events.append({"event": "outcome", "task_id": task.task_id, "model": model,
                            "dimension": task.dimension, "score": score, "cost_usd": cost_usd, "status": "ok"})


def same_state_truth(sample: whatif.LogSample, settings: RouterSettings, table: OutcomeTable,
                     index: dict[str, int]) -> dict[str, float]:
    """The candidate's expected AvgPerf / total cost on the logged decisions, from every model's result."""
    score = cost = 0.0
    for route in sample.routes:
        i = index[route.task_id]
        for model, p in ACRouter.rescore(route.decision, settings).items():
            j = table.model_index[model]
            score += p * table.score[i, j]
            cost += p * table.cost[i, j]
    n = len(sample.routes)
    perf = 100.0 * score / n
    return {"avg_perf": perf, "total_cost": cost, "perf_per_dollar": perf_per_dollar(perf, cost)}


def always_rows(sample: whatif.LogSample, table: OutcomeTable) -> list[dict[str, Any]]:
    """``whatif.always_model_estimates`` beside each model's true AvgPerf and total cost on the tasks."""
    rows = whatif.always_model_estimates(None, sample=sample)
    for row in rows:
        j = table.model_index[row["model"].removeprefix("Always-")]
        row["true_avg_perf"] = 100.0 * float(table.score[:, j].mean())
        row["true_cost_usd"] = float(table.cost[:, j].sum())
    return rows


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:.2f}" if metric == "total_cost" else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CodeRouterBench folder")
    parser.add_argument("--seeds", type=int, default=5, help="logging runs with different exploration seeds")
    parser.add_argument("--limit", type=int, default=None, help="route only the first N test tasks")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--out-log", type=Path, help="also write the first run's log here (for the CLI)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        dataset = load_dataset(args.data, "id")
    except DatasetError as exc:
        parser.error(f"{exc} (pass --data PATH to a CodeRouterBench folder)")
    tasks = dataset.test_tasks[: args.limit] if args.limit else dataset.test_tasks
    table = OutcomeTable(tasks, dataset.test_results, dataset.probe.models)
    index = {task.task_id: i for i, task in enumerate(tasks)}
    logging_settings = RouterSettings(**LOGGING)
    candidates = {name: logging_settings.replace(**change) for name, change in CANDIDATES.items()}
    replayed = {}
    for name, settings in candidates.items():
        result = replay(ACRouterPolicy(settings, seed=0), dataset.probe, tasks, dataset.test_results, outcomes=table)
        replayed[name] = {"avg_perf": result.avg_perf, "total_cost": result.cost_usd,
                          "perf_per_dollar": result.perf_per_dollar}
    rows, covered = [], {"replay": [], "same_states": []}
    header = ("seed", "setting", "metric", "est", "estimate", "interval", "replay", "cov", "same-states", "cov",
              "ESS")
    for seed in range(args.seeds):
        logger = LoggingPolicy(ACRouterPolicy(logging_settings, seed=seed))
        logged = replay(logger, dataset.probe, tasks, dataset.test_results, outcomes=table)
        if seed == 0 and args.out_log:
            args.out_log.unlink(missing_ok=True)
            for event in logger.events:
                append_event(args.out_log, event)
        sample = whatif.logged_sample(logger.events)
        if seed == 0:
            always = always_rows(sample, table)
        for name, settings in candidates.items():
            report = whatif.estimate_setting(None, logging_settings, settings, n_boot=args.bootstrap, seed=seed,
                                             sample=sample)
            states = same_state_truth(sample, settings, table, index)
            for metric in METRICS:
                for estimator in ("ips", "snips", "dr"):
                    est = report.candidate.estimates[estimator][metric]
                    truths = {"replay": replayed[name][metric], "same_states": states[metric]}
                    cov = {k: est.covers(v) if v is not None else None for k, v in truths.items()}
                    for k, v in cov.items():
                        if v is not None:
                            covered[k].append(v)
                    interval = "—" if est.low is None else f"[{fmt(metric, est.low)}, {fmt(metric, est.high)}]"
                    rows.append((str(seed), name, metric, estimator, fmt(metric, est.value), interval,
                                 fmt(metric, truths["replay"]), _yes(cov["replay"]),
                                 fmt(metric, truths["same_states"]), _yes(cov["same_states"]),
                                 f"{report.candidate.support.ess:.0f}"))
        print(f"# seed {seed}: logging router AvgPerf {logged.avg_perf:.2f}%, cost ${logged.cost_usd:.2f}, "
              f"{sample.counts['used']} routes", file=sys.stderr)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    misses = [r for r in rows if r[7] == "no"]
    print(f"\nintervals covering the replay truth: {sum(covered['replay'])}/{len(covered['replay'])}; "
          f"the same-states truth: {sum(covered['same_states'])}/{len(covered['same_states'])}")
    for r in misses:
        print(f"  replay not covered: seed {r[0]}, {r[1]}, {r[2]}, {r[3]}: {r[4]} {r[5]} vs {r[6]}")
    print("\nAlways-<model> on the same tasks (sprint review), seed 0: estimate vs truth")
    for row in always:
        print(f"  {row['model']:<26} {row['method']:<28} AvgPerf {row['avg_perf']:6.2f} vs {row['true_avg_perf']:6.2f}"
              f"   cost ${row['cost_usd']:7.2f} vs ${row['true_cost_usd']:7.2f}")
    by_estimator = {e: f"{sum(r[7] == 'yes' for r in rows if r[3] == e)}/{sum(r[7] != '—' for r in rows if r[3] == e)}"
                    for e in ("ips", "snips", "dr")}
    summary = {"benchmark": "whatif_validation", "tasks": len(tasks), "seeds": args.seeds,
               "replay_covered_by_estimator": by_estimator,
               "settings": list(CANDIDATES), "logging": LOGGING,
               "coverage_replay": float(np.mean(covered["replay"])) if covered["replay"] else None,
               "coverage_same_states": float(np.mean(covered["same_states"])) if covered["same_states"] else None,
               "always_mean_abs_error_avg_perf": round(float(np.mean(
                   [abs(r["avg_perf"] - r["true_avg_perf"]) for r in always])), 2),
               "intervals": len(covered["replay"]),
               "refused_thin": sum(r[4] == "—" for r in rows), "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(summary))
    return 0


def _yes(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


if __name__ == "__main__":
    sys.exit(main())
