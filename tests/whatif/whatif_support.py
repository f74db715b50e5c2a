"""A small routing log written the way the router writes one: decisions scored by ``router.policy``.

Each task's expected scores/costs come from noisy votes around the models' true rates, the router picks
with its ε-greedy probabilities, and the outcome is drawn from the true rate, so an off-policy estimate
can be checked against the exactly known value of any other setting.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from analytics.logwriter import append_event
from router.decision import Decision, Vote
from router.policy import score_candidates
from router.settings import RouterSettings

# model -> (true success rate, true cost USD)
TRUTH = {"opus": (0.70, 0.040), "sonnet": (0.62, 0.015), "glm": (0.55, 0.004), "qwen": (0.45, 0.001)}
DIMENSIONS = ("bug_fixing", "algorithm")


def decide(rng: random.Random, settings: RouterSettings, dimension: str) -> Decision:
    votes = {m: {"prior": Vote(min(max(s + rng.gauss(0, 0.08), 0.0), 1.0), c * rng.uniform(0.7, 1.4), 20.0, 50)}
             for m, (s, c) in TRUTH.items()}
    candidates, probs = score_candidates(votes, {m: 50 for m in TRUTH}, settings)
    chosen = rng.choices(list(probs), weights=list(probs.values()))[0]
    return Decision("acrouter", chosen, probs[chosen], settings.to_log(), {"dimension": dimension},
                    tuple(candidates))


def write_log(path: Path, n: int = 300, seed: int = 0, exploration: float = 0.3,
              extras: bool = True) -> list[dict[str, Any]]:
    """``n`` policy routes with outcomes; with ``extras`` also a manual route, an override, a route without
    outcome, an unscored and an unpriced outcome (one each). Returns the records written."""
    rng = random.Random(seed)
    settings = RouterSettings(exploration=exploration)
    written = []

    def put(record: dict[str, Any]) -> None:
        written.append(append_event(path, record))

    for i in range(n):
        dimension = DIMENSIONS[i % 2]
        decision = decide(rng, settings, dimension)
        task_id = f"t-{i:04d}"
        put({"event": "route", "task_id": task_id, "dimension": dimension, "model": decision.chosen,
             "router": "acrouter", "propensity": decision.propensity, "decision": decision.to_log()})
        rate, cost = TRUTH[decision.chosen]
        put({"event": "outcome", "task_id": task_id, "model": decision.chosen, "dimension": dimension,
             "score": 1.0 if rng.random() < rate else 0.0, "cost_usd": cost, "status": "ok"})
    if extras:
        decision = decide(rng, settings, "bug_fixing")
        base = {"event": "route", "dimension": "bug_fixing", "router": "acrouter",
                "propensity": decision.propensity, "decision": decision.to_log(), "model": decision.chosen}
        put({**base, "task_id": "manual-1", "router": "manual", "propensity": 1.0})
        put({"event": "outcome", "task_id": "manual-1", "model": decision.chosen, "score": 1.0, "cost_usd": 0.01})
        put({**base, "task_id": "override-1"})
        put({"event": "override", "task_id": "override-1", "model": "opus", "proposed_model": decision.chosen,
             "router": "manual"})
        put({"event": "outcome", "task_id": "override-1", "model": "opus", "score": 1.0, "cost_usd": 0.04})
        put({**base, "task_id": "pending-1"})
        put({**base, "task_id": "unscored-1"})
        put({"event": "outcome", "task_id": "unscored-1", "model": decision.chosen, "status": "timeout"})
        put({**base, "task_id": "unpriced-1"})
        put({"event": "outcome", "task_id": "unpriced-1", "model": decision.chosen, "score": 0.0,
             "unpriced": True})
    return written
