"""ACRouterPolicy through the RoutingPolicy protocol: fit builds priors + seeds memory, observe learns."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from router.acrouter_policy import ACRouterPolicy
from router.routing import ProbeSet, RoutingTask
from router.settings import RouterSettings

MODELS = ["cheap", "dear"]


class HashEmbedder:
    """Tiny deterministic embedder: a task's words as bag-of-hashes, so similar texts are close."""

    dim = 16

    def encode(self, texts, batch_size=64):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                out[row, sum(map(ord, word)) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _probe() -> ProbeSet:
    tasks, rows = [], []
    for i in range(80):
        source = "mbpp" if i % 2 else "bcb"
        task_id = f"dim1_{source}_{i}"
        tasks.append(RoutingTask(task_id, "code_generation", f"sort a list {i}" if i < 4 else None,
                                 {"source": source}))
        rows += [{"task_id": task_id, "model": "cheap", "score": float(source == "mbpp"), "cost_usd": 0.001,
                  "cost_estimated": False},
                 {"task_id": task_id, "model": "dear", "score": 1.0, "cost_usd": 0.01, "cost_estimated": False}]
    return ProbeSet(tasks, pl.DataFrame(rows), MODELS)


def test_fit_choose_observe_through_the_protocol():
    # eps_cost = -1: a dime is worth a solved task, so dear ($0.01) must score 0.09 more than cheap ($0.001)
    policy = ACRouterPolicy(RouterSettings(eps_cost=-1.0), embedder=HashEmbedder())
    policy.fit(_probe())
    assert policy.name == "acrouter"
    assert len(policy.router.memory) == 8  # 4 tasks with text x 2 models
    easy = policy.choose(RoutingTask("dim1_mbpp_fixture99", "code_generation", None, {"source": "mbpp"}))
    hard = policy.choose(RoutingTask("dim1_bcb_fixture99", "code_generation", None, {"source": "bcb"}))
    assert (easy.model, hard.model) == ("cheap", "dear")  # the source key separates them
    assert easy.explanation["features"]["keys"] == {"source": "mbpp"}
    task = RoutingTask("new", "code_generation", "sort a list please", {"source": "mbpp"})
    choice = policy.choose(task)
    assert choice.explanation["neighbours"]
    policy.observe(task, choice.model, 0.0, 0.001)
    assert len(policy.router.memory) == 9


def test_no_memory_ablation_is_named_and_keeps_no_memory():
    policy = ACRouterPolicy(embedder=HashEmbedder(), use_memory=False)
    policy.fit(_probe())
    assert policy.name == "acrouter-no-memory" and policy.router.memory is None
    choice = policy.choose(RoutingTask("x", "code_generation", "sort a list", {"source": "mbpp"}))
    assert choice.explanation["neighbours"] == []


def test_integration_with_the_real_embedder(embedder):
    """One end-to-end run with all-MiniLM-L6-v2: a paraphrase finds its seeded neighbour above 0.5."""
    policy = ACRouterPolicy(embedder=embedder)
    policy.fit(_probe())
    choice = policy.choose(RoutingTask("q", "code_generation", "sort this list of numbers", {"source": "mbpp"}))
    sims = [n["similarity"] for n in choice.explanation["neighbours"]]
    assert sims and min(sims) >= 0.5
    assert choice.explanation["candidates"][0]["votes"]["knn"]["n"] >= 1
    assert sum(c["prob"] for c in choice.explanation["candidates"]) == pytest.approx(1.0)
