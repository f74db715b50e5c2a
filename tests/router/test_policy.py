"""ACRouter's orchestrator: explanation, voting, cost unit, exploration probabilities and re-scoring."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from router.memory import Memory
from router.policy import ACRouter, choice_probabilities
from router.priors import Priors
from router.settings import RouterSettings


@dataclass
class Features:
    """The TaskFeatures fields the policy reads (router.features), kept local so the test is self-contained."""

    text: str | None = None
    dimension: str | None = "bug_fixing"
    dimension_confidence: float = 1.0
    language: str | None = None
    language_confidence: float = 0.0
    difficulty: str | None = None
    difficulty_confidence: float = 0.0
    embedding: Any = None
    metadata: dict = field(default_factory=dict)


ROWS = ([{"dimension": "bug_fixing", "model": "cheap", "score": s, "cost_usd": 0.001} for s in [1, 0, 1, 0] * 10]
        + [{"dimension": "bug_fixing", "model": "dear", "score": s, "cost_usd": 0.016} for s in [1, 1, 1, 0] * 10])


def make_router(**settings) -> ACRouter:
    return ACRouter(["cheap", "dear"], Priors.from_rows(ROWS), Memory(100), RouterSettings(**settings), seed=1)


def test_choice_probabilities():
    assert choice_probabilities({"b": 1.0, "a": 1.0}, 0.0) == {"a": 1.0, "b": 0.0}  # tie, no costs: by name
    # a tie goes to the cheaper model, whatever its name; an unknown cost counts as dearest
    assert choice_probabilities({"a": 1.0, "b": 1.0}, 0.0, {"a": 0.02, "b": 0.01}) == {"a": 0.0, "b": 1.0}
    assert choice_probabilities({"a": 1.0, "b": 1.0}, 0.0, {"a": None, "b": 0.5}) == {"a": 0.0, "b": 1.0}
    probs = choice_probabilities({"a": 0.1, "b": 0.5, "c": 0.2}, 0.3)
    assert probs == pytest.approx({"a": 0.1, "b": 0.8, "c": 0.1})
    assert sum(probs.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        choice_probabilities({"a": 1.0}, 1.5)


def test_explanation_lists_every_candidate_vote_and_the_cost_unit():
    decision = make_router().decide(Features())
    log = decision.to_log()
    assert log["chosen"] == "dear" and log["propensity"] == 1.0
    assert log["settings"]["cost_unit"] == RouterSettings().cost_unit
    by_model = {c["model"]: c for c in log["candidates"]}
    assert set(by_model) == {"cheap", "dear"}
    assert sum(c["prob"] for c in log["candidates"]) == pytest.approx(1.0)
    dear = by_model["dear"]
    assert dear["exp_score"] == pytest.approx(0.75, abs=0.01)
    assert dear["votes"]["prior"]["weight"] == 1.0 and dear["votes"]["prior"]["n"] == 40
    # kappa: $0.016 is 16x $0.001, 4 doublings apart, symmetric around their geometric mean $0.004
    assert dear["kappa"] == pytest.approx(0.2) and by_model["cheap"]["kappa"] == pytest.approx(-0.2)
    assert dear["reward"] == pytest.approx(dear["exp_score"] - 0.1 * 0.2, abs=1e-3)
    assert "dear" in decision.summary()


def test_decision_says_when_it_rests_on_evidence_a_tie_or_nothing():
    decision = make_router().decide(Features())
    assert decision.basis == "evidence" and "dear on 40 observations" in decision.basis_note
    assert decision.to_log()["basis"] == "evidence"

    # equal scores and the cost weight off: a tie, broken by expected cost, not by name ("a-dear" sorts first)
    rows = ([{"dimension": "bug_fixing", "model": "a-dear", "score": s, "cost_usd": 0.02} for s in [1, 0] * 5]
            + [{"dimension": "bug_fixing", "model": "b-cheap", "score": s, "cost_usd": 0.01} for s in [1, 0] * 5])
    priors = Priors.from_rows(rows)
    priors.origin = "a test table"
    tied = ACRouter(["a-dear", "b-cheap"], priors, None, RouterSettings(eps_cost=0.0, optimism=0.0)).decide(Features())
    assert tied.chosen == "b-cheap" and tied.basis == "tie"
    assert "cheapest expected cost" in tied.basis_note and "priors from a test table" in tied.basis_note
    assert tied.to_log()["basis_note"] == tied.basis_note and tied.basis_note in tied.summary()

    fresh = ACRouter(["zeta", "alpha"], Priors(), None, RouterSettings()).decide(Features())
    assert fresh.basis == "no_evidence" and fresh.chosen == "alpha"
    assert fresh.basis_note.startswith("no evidence for any model yet: choosing by cheapest expected cost")
    assert "no priors loaded" in fresh.basis_note


def test_cost_weight_changes_the_choice():
    # dear scores 0.25 more at 0.4 more kappa: it wins while |eps_cost| < 0.25 / 0.4 = 0.625
    assert make_router(eps_cost=-0.5).decide(Features()).chosen == "dear"
    assert make_router(eps_cost=-1.0).decide(Features()).chosen == "cheap"


def test_neighbours_vote_and_update_changes_memory_and_priors():
    router = make_router()
    task = Features(text="parse dates", embedding=np.array([1.0, 0.0, 0.0], dtype=np.float32))
    for i in range(6):
        router.update(task, "dear", 0.0, 0.02, trace={"tests": 0}, task_id=f"t{i}")
    assert len(router.memory) == 6
    assert router.priors.cell((("dimension", "bug_fixing"),), "dear").n == 46
    decision = router.decide(task)
    dear = decision.candidate("dear")
    assert dear.votes["knn"].n == 6 and dear.votes["knn"].score == 0.0
    assert len(decision.neighbours) == 6 and decision.neighbours[0].similarity == pytest.approx(1.0)
    assert decision.chosen == "cheap"  # six failures on the same task outweigh the population prior
    far = Features(text="x", embedding=np.array([0.0, 1.0, 0.0], dtype=np.float32))
    assert "knn" not in router.decide(far).candidate("dear").votes  # below the threshold


def test_exploration_samples_with_the_logged_propensity():
    router = make_router(exploration=0.5)
    picks = [router.decide(Features()) for _ in range(200)]
    assert {d.chosen for d in picks} == {"cheap", "dear"}
    assert {d.chosen: d.propensity for d in picks} == {"cheap": 0.25, "dear": 0.75}


def test_rescore_reproduces_and_responds_to_new_settings():
    router = make_router()
    router.update(Features(embedding=np.array([1.0, 0.0], dtype=np.float32)), "dear", 0.0, 0.02, task_id="x")
    log = router.decide(Features(embedding=np.array([1.0, 0.0], dtype=np.float32))).to_log()
    same = ACRouter.rescore(log, router.settings)
    assert same == {c["model"]: c["prob"] for c in log["candidates"]}
    assert ACRouter.rescore(log, RouterSettings(eps_cost=-2.0, exploration=0.2)) == pytest.approx(
        {"cheap": 0.9, "dear": 0.1})
    flipped = Priors.from_rows([{**r, "score": 1 - r["score"]} for r in ROWS])
    assert ACRouter.rescore(log, router.settings, flipped)["cheap"] == 1.0


def test_a_metadata_level_holding_the_same_outcomes_as_the_context_does_not_vote_twice():
    router = make_router()
    python = Features(language="python", language_confidence=1.0)
    for _ in range(3):
        router.update(python, "dear", 1.0, 0.016)
    # the probing rows had no language, so "bug_fixing / python" holds fewer outcomes than bug_fixing: it votes
    assert "metadata" in router.decide(python).candidate("dear").votes
    only_python = ACRouter(["cheap", "dear"], Priors(), None, RouterSettings())
    for _ in range(3):
        only_python.update(python, "dear", 1.0, 0.016)
    # here every bug_fixing outcome is a python one: a metadata vote would count the same evidence twice
    assert "metadata" not in only_python.decide(python).candidate("dear").votes
