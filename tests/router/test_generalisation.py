"""benchmarks/generalisation.py's cost-shift fold on a tiny hand-made replay whose shifted costs are known."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import polars as pl
import pytest

from router.datasets import BenchDataset
from router.routing import ProbeSet, RoutingTask

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture()
def generalisation():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("generalisation")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_cost_shift_scales_the_level_and_widens_the_spread(generalisation) -> None:
    tasks = [RoutingTask(f"t{i}", "d", None, {"source": "s"}) for i in range(3)]
    results = pl.DataFrame({
        "task_id": ["t0", "t0", "t1", "t1", "t2", "t2"],
        "model": ["cheap", "dear"] * 3,
        "score": [1.0, 1.0, 0.0, 1.0, 1.0, 0.0],
        "cost_usd": [0.001, 0.004, 0.001, 0.004, None, 0.004],
    })
    probe = ProbeSet(tasks[:1], results.head(2), ["cheap", "dear"])
    shifted = generalisation.cost_shifted(BenchDataset("tiny", "val", Path("."), probe, tasks, results))
    assert [t.task_id for t in shifted.test_tasks] == ["t0", "t1"]  # t2 has an unknown cost: left out
    costs = {(r["task_id"], r["model"]): r["cost_usd"] for r in shifted.test_results.iter_rows(named=True)}
    # Mean costs 0.001 and 0.004, geometric mean 0.002: factors 50 x 0.5 and 50 x 2 (the 4x ratio becomes 16x).
    assert costs[("t0", "cheap")] == pytest.approx(0.025)
    assert costs[("t0", "dear")] == pytest.approx(0.4)
    assert shifted.probe is probe  # the priors keep the probing prices


def test_shuffled_reorders_only_the_test_tasks_and_is_seeded(generalisation) -> None:
    tasks = [RoutingTask(f"t{i}", "d", None, {"source": "s"}) for i in range(20)]
    results = pl.DataFrame({"task_id": [t.task_id for t in tasks], "model": ["m"] * 20, "score": [1.0] * 20,
                            "cost_usd": [0.001] * 20})
    probe = ProbeSet(tasks[:1], results.head(1), ["m"])
    dataset = BenchDataset("tiny", "test", Path("."), probe, tasks, results)
    first, again = generalisation.shuffled(dataset, 1), generalisation.shuffled(dataset, 1)
    order = [t.task_id for t in first.test_tasks]
    assert order != [t.task_id for t in tasks] and sorted(order) == sorted(t.task_id for t in tasks)
    assert order == [t.task_id for t in again.test_tasks]  # the same seed gives the same order
    assert order != [t.task_id for t in generalisation.shuffled(dataset, 2).test_tasks]
    assert first.probe is probe and first.test_results is results and dataset.test_tasks == tasks
