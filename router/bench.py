"""Benchmark replay: priors from the probing set, then test tasks one at a time with bandit feedback.

The harness only talks to the :class:`~router.routing.RoutingPolicy` protocol, so ACRouter and every baseline
are measured the same way. Metrics are pure functions (DESIGN §3) so the TUI and what-if reuse them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from analytics.metrics import avg_perf, cumulative_regret, perf_per_dollar, total_cost
from router.baseline_reward import Reward
from router.baselines import make_baseline
from router.datasets import BenchDataset
from router.routing import ProbeSet, RoutingPolicy, RoutingTask


class Step(NamedTuple):
    """One routed test task: what was chosen, what it got, and what the best model got."""

    task_id: str
    model: str
    score: float
    cost: float
    best_score: float
    propensity: float


@dataclass
class ReplayResult:
    name: str
    avg_perf: float
    cum_regret: float
    cost_usd: float
    perf_per_dollar: float | None
    steps: list[Step] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "avg_perf": self.avg_perf, "cum_regret": self.cum_regret,
                "cost_usd": self.cost_usd, "perf_per_dollar": self.perf_per_dollar}


class OutcomeTable:
    """Every model's score and cost per test task, as arrays indexed by task position and model."""

    def __init__(self, tasks: Sequence[RoutingTask], results: pl.DataFrame, models: Sequence[str]) -> None:
        self.models = list(models)
        self.model_index = {m: i for i, m in enumerate(self.models)}
        order = pl.DataFrame({"task_id": [t.task_id for t in tasks], "_i": np.arange(len(tasks))},
                             schema={"task_id": pl.String, "_i": pl.Int64})
        rows = results.join(order, on="task_id", how="inner").filter(pl.col("model").is_in(self.models))
        rows_i = rows["_i"].to_numpy()
        cols = np.array([self.model_index[m] for m in rows["model"]], dtype=int)
        self.score = np.full((len(tasks), len(self.models)), np.nan)
        self.cost = np.full_like(self.score, np.nan)
        self.score[rows_i, cols] = rows["score"].to_numpy()
        self.cost[rows_i, cols] = rows["cost_usd"].to_numpy()
        missing = np.argwhere(np.isnan(self.score))
        if missing.size:
            i, j = missing[0]
            raise ValueError(f"no result for model {self.models[j]!r} on test task {tasks[i].task_id!r}")
        self.best = self.score.max(axis=1)


def replay(policy: RoutingPolicy, probe: ProbeSet, test_tasks: Sequence[RoutingTask], test_results: pl.DataFrame,
           on_progress: Callable[[int, int], None] | None = None, *,
           outcomes: OutcomeTable | None = None) -> ReplayResult:
    """Fit ``policy`` on ``probe``, then route ``test_tasks`` in order, revealing only the chosen outcome.

    ``outcomes`` lets a caller that replays several policies build the lookup table once.
    """
    table = outcomes or OutcomeTable(test_tasks, test_results, probe.models)
    policy.fit(probe)
    steps: list[Step] = []
    total = len(test_tasks)
    for i, task in enumerate(test_tasks):
        choice = policy.choose(task)
        j = table.model_index.get(choice.model)
        if j is None:
            raise ValueError(f"{policy.name} chose {choice.model!r}, which is not one of the dataset's models")
        score, cost = float(table.score[i, j]), float(table.cost[i, j])
        policy.observe(task, choice.model, score, cost)
        steps.append(Step(task.task_id, choice.model, score, cost, float(table.best[i]), float(choice.propensity)))
        if on_progress is not None:
            on_progress(i + 1, total)
    scores = [s.score for s in steps]
    perf, cost = avg_perf(scores), total_cost([s.cost for s in steps])
    return ReplayResult(policy.name, perf, cumulative_regret([s.best_score for s in steps], scores), cost,
                        perf_per_dollar(perf, cost), steps)


# ----------------------------------------------------------------------------------------------------------
# the routers a bench run compares

ROUTER_NAMES = ("oracle", "random", "always", "dimension-best", "linucb", "static-classifier", "acrouter")
OPTIONAL_ROUTERS = ("dimension-best-online", "acrouter-no-memory")


class RouterUnavailable(Exception):
    """A router that cannot run here (e.g. ACRouter not importable); reported as such, never faked."""


@dataclass(frozen=True)
class BenchOptions:
    seed: int = 0
    eps_perf: float = 1.0
    eps_cost: float = -0.1
    alpha: float = 1.0
    ridge: float = 1.0
    overrides: tuple[tuple[str, Any], ...] = ()  # other ACRouter settings (a variant a benchmark compares)


def expand_router_names(names: Sequence[str], models: Sequence[str]) -> list[str]:
    """``always`` expands to one ``always:<model>`` per model; unknown names raise ValueError."""
    out: list[str] = []
    for name in names:
        if name == "always":
            out += [f"always:{m}" for m in models]
        elif name.startswith("always:"):
            if name.removeprefix("always:") not in models:
                raise ValueError(f"unknown model in {name!r}; models: {', '.join(models)}")
            out.append(name)
        elif name in ROUTER_NAMES or name in OPTIONAL_ROUTERS:
            out.append(name)
        else:
            raise ValueError(f"unknown router {name!r}; choose from "
                             f"{', '.join((*ROUTER_NAMES, *OPTIONAL_ROUTERS))} or always:<model>")
    return list(dict.fromkeys(out))


def router_settings(options: BenchOptions) -> Any:
    """ACRouter's settings with the bench's eps, or None while router/settings.py is not there."""
    try:
        from router.settings import RouterSettings
    except ImportError:
        return None
    return RouterSettings.from_mapping({**dict(options.overrides), "eps_perf": options.eps_perf,
                                        "eps_cost": options.eps_cost})


def build_router(name: str, dataset: BenchDataset, options: BenchOptions) -> RoutingPolicy:
    if name not in ("acrouter", "acrouter-no-memory"):
        return make_baseline(name, test_results=dataset.test_results, seed=options.seed,
                             reward=Reward(options.eps_perf, options.eps_cost), alpha=options.alpha,
                             ridge=options.ridge)
    try:
        from router.acrouter_policy import ACRouterPolicy
    except ImportError as exc:
        raise RouterUnavailable(f"router.acrouter_policy is not importable ({exc})") from exc
    return ACRouterPolicy(settings=router_settings(options), seed=options.seed,
                          use_memory=name == "acrouter")


@dataclass
class RouterFailure:
    """A router that could not be measured: unavailable (import) or failed (raised during its replay)."""

    name: str
    reason: str
    failed: bool

    def summary(self) -> dict[str, Any]:
        key = "error" if self.failed else "unavailable"
        return {"name": self.name, "avg_perf": None, "cum_regret": None, "cost_usd": None,
                "perf_per_dollar": None, key: self.reason}


def run_routers(dataset: BenchDataset, names: Sequence[str], options: BenchOptions,
                progress: Callable[[str], Callable[[int, int], None] | None] | None = None,
                ) -> list[ReplayResult | RouterFailure]:
    """Replay each named router on ``dataset``; ``progress(name)`` may return a per-task callback.

    A router that raises is reported as failed with its error, so one broken router does not hide the others.
    """
    table = OutcomeTable(dataset.test_tasks, dataset.test_results, dataset.probe.models)
    out: list[ReplayResult | RouterFailure] = []
    for name in names:
        try:
            policy = build_router(name, dataset, options)
        except RouterUnavailable as exc:
            out.append(RouterFailure(name, str(exc), failed=False))
            continue
        callback = progress(name) if progress else None
        try:
            result = replay(policy, dataset.probe, dataset.test_tasks, dataset.test_results, callback,
                            outcomes=table)
        except ImportError as exc:  # a module the router needs is not installed or not written yet
            out.append(RouterFailure(name, f"{type(exc).__name__}: {exc}", failed=False))
            continue
        except Exception as exc:  # reported per router: the run goes on
            out.append(RouterFailure(name, f"{type(exc).__name__}: {exc}", failed=True))
            continue
        result.name = name
        out.append(result)
    return out


def sweep_dataset(dataset: BenchDataset, grid: Sequence[float], options: BenchOptions,
                  progress: Callable[[str], Callable[[int, int], None] | None] | None = None) -> Any:
    """ACRouter replayed at each cost weight of ``grid`` beside every Always-<model>: a ``router.sweep.Sweep``.

    Features (embeddings) are extracted once per task and shared between the replays.
    """
    from dataclasses import replace

    from router.acrouter_policy import ACRouterPolicy
    from router.sweep import Point, run_sweep

    table = OutcomeTable(dataset.test_tasks, dataset.test_results, dataset.probe.models)
    n = len(dataset.test_tasks)
    always = [Point(f"always:{m}", avg_perf(table.score[:, j]), total_cost(table.cost[:, j]))
              for j, m in enumerate(table.models)] if n else []
    cache: dict[str, Any] = {}
    base = router_settings(options)

    def replay_at(eps: float) -> ReplayResult:
        policy = ACRouterPolicy(settings=replace(base, eps_cost=eps), seed=options.seed, features_cache=cache)
        name = f"acrouter eps_cost={eps:g}"
        return replay(policy, dataset.probe, dataset.test_tasks, dataset.test_results,
                      progress(name) if progress else None, outcomes=table)

    return run_sweep(grid, replay_at, always, options.eps_cost)
