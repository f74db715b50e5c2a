"""A routing decision and its explanation: what each source voted, with what weight, and why a model won.

``Decision.to_log()`` is the ``decision`` object of a `route` event (docs/architecture.md); every candidate
carries ``prob``, the policy's probability of picking it, so off-policy estimators can re-weight the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from router.memory import Neighbour

BASES = ("evidence", "tie", "no_evidence")


@dataclass(frozen=True)
class Vote:
    """One source's estimate for one model; ``evidence`` is its raw weight (a pseudo-count of observations)."""

    score: float
    cost_usd: float | None
    evidence: float
    n: int

    def to_log(self, total_evidence: float) -> dict[str, Any]:
        share = self.evidence / total_evidence if total_evidence > 0 else 0.0
        return {"score": round(self.score, 4), "cost_usd": _round_cost(self.cost_usd), "weight": round(share, 4),
                "evidence": round(self.evidence, 4), "n": self.n}

    @classmethod
    def from_log(cls, data: Mapping[str, Any]) -> Vote:
        return cls(float(data["score"]), None if data.get("cost_usd") is None else float(data["cost_usd"]),
                   float(data.get("evidence", data.get("weight", 0.0))), int(data.get("n", 0)))


@dataclass(frozen=True)
class Candidate:
    """A model's combined expectation; ``reward`` = eps_perf*score + eps_cost*kappa, ``bonus`` = optimism."""

    model: str
    exp_score: float
    exp_cost_usd: float | None
    kappa: float
    reward: float
    bonus: float
    prob: float
    n_context: int
    votes: Mapping[str, Vote] = field(default_factory=dict)

    def to_log(self) -> dict[str, Any]:
        total = sum(v.evidence for v in self.votes.values())
        return {"model": self.model, "exp_score": round(self.exp_score, 4),
                "exp_cost_usd": _round_cost(self.exp_cost_usd), "kappa": round(self.kappa, 4),
                "reward": round(self.reward, 4), "bonus": round(self.bonus, 4), "prob": self.prob,
                "n_context": self.n_context,
                "votes": {name: vote.to_log(total) for name, vote in self.votes.items()}}


@dataclass(frozen=True)
class Decision:
    policy: str
    chosen: str
    propensity: float
    settings: Mapping[str, Any]
    features: Mapping[str, Any]
    candidates: tuple[Candidate, ...]
    neighbours: tuple[Neighbour, ...] = ()
    basis: str = "evidence"  # one of BASES: what the choice rests on
    basis_note: str = ""  # one human line: the evidence, the tie and its rule, or the lack of any evidence

    def candidate(self, model: str) -> Candidate:
        for candidate in self.candidates:
            if candidate.model == model:
                return candidate
        raise KeyError(model)

    def to_log(self) -> dict[str, Any]:
        return {"policy": self.policy, "chosen": self.chosen, "propensity": self.propensity,
                "basis": self.basis, "basis_note": self.basis_note, "settings": dict(self.settings), "features": dict(self.features),
                "candidates": [c.to_log() for c in self.candidates],
                "neighbours": [n.to_log() for n in self.neighbours]}

    def summary(self) -> str:
        """One line for a status bar: the winner, its expectations and which sources carried it."""
        best = self.candidate(self.chosen)
        total = sum(v.evidence for v in best.votes.values()) or 1.0
        shares = ", ".join(f"{name} {100 * vote.evidence / total:.0f}%" for name, vote in best.votes.items())
        cost = "unknown cost" if best.exp_cost_usd is None else f"~${best.exp_cost_usd:.4f}"
        line = (f"{self.chosen}: expected score {best.exp_score:.2f}, {cost}, reward {best.reward:+.3f} "
                f"(p={self.propensity:.2f}; {shares}; {len(self.neighbours)} neighbours)")
        return line if self.basis == "evidence" else f"{line}; {self.basis_note}"


def _round_cost(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")
