"""One cell of the priors table: the learned sums for a (context, model), and a user's value on top.

Why its own module: the table (``router.priors``) and its shrinkage (``router.shrinkage``) both read and add
cells; neither should import the other for them.
"""

from __future__ import annotations

from dataclasses import dataclass

UserValue = tuple[float | None, float | None, bool]  # a cell's user score, user cost, pinned


@dataclass
class Cell:
    """Learned sums for one (context, model), plus an optional user value on top."""

    n: int = 0
    score_sum: float = 0.0
    cost_n: int = 0
    cost_sum: float = 0.0
    user_score: float | None = None
    user_cost: float | None = None
    pinned: bool = False

    @property
    def learned_score(self) -> float | None:
        return self.score_sum / self.n if self.n else None

    @property
    def learned_cost(self) -> float | None:
        return self.cost_sum / self.cost_n if self.cost_n else None

    @property
    def edited(self) -> bool:
        return self.user_score is not None or self.user_cost is not None

    @property
    def score(self) -> float | None:
        return self.user_score if self.user_score is not None else self.learned_score

    @property
    def cost(self) -> float | None:
        return self.user_cost if self.user_cost is not None else self.learned_cost


def add_cell(total: Cell, cell: Cell, sign: int) -> None:
    """Add (sign 1) or remove (sign -1) one cell's learned sums to a running total."""
    total.n += sign * cell.n
    total.score_sum += sign * cell.score_sum
    total.cost_n += sign * cell.cost_n
    total.cost_sum += sign * cell.cost_sum
