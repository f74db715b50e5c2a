"""The priors table as plain records: the ``[[priors]]`` tables of router.toml and the shipped aggregates.

Why its own module: what a person reads and edits in router.toml (learned means and counts, not sums, with
any edits and pins beside them) and its validation are a job apart from estimating; errors name the entry
index and field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from analytics.numbers import is_finite, is_integer
from router.prior_cells import UserValue
from router.prior_context import ContextPath
from router.priors import Priors, PriorsError

VALUE_FIELDS = frozenset({"model", "n", "score", "cost_n", "cost_usd", "user_score", "user_cost_usd", "pinned"})


def to_records(priors: Priors, user_values: Mapping[tuple[ContextPath, str], UserValue] | None = None,
               ) -> list[dict[str, Any]]:
    """One plain dict per cell, learned means not sums; the context's (key, value) levels are its other fields.

    ``user_values`` (from ``Priors.user_values()``) replaces the cells' own edits and pins, so the learned
    counts can be written without edits the user has not saved.
    """
    out = []
    for path in sorted(priors.cells):
        for model in sorted(priors.cells[path]):
            cell = priors.cells[path][model]
            record: dict[str, Any] = dict(path)
            record.update(model=model, n=cell.n, score=_round(cell.learned_score),
                          cost_n=cell.cost_n, cost_usd=_round(cell.learned_cost))
            user_score, user_cost, pinned = (
                (cell.user_score, cell.user_cost, cell.pinned) if user_values is None
                else user_values.get((path, model), (None, None, False)))
            if user_score is not None:
                record["user_score"] = user_score
            if user_cost is not None:
                record["user_cost_usd"] = user_cost
            if pinned:
                record["pinned"] = True
            out.append({k: v for k, v in record.items() if v is not None})
    return out


def from_records(records: Sequence[Mapping[str, Any]], strength: float = 10.0, source: str = "priors") -> Priors:
    """Inverse of ``to_records``; errors name the entry (``source[i]``) and field."""
    priors = Priors(strength)
    for i, record in enumerate(records):
        where = f"{source}[{i}]"
        if not isinstance(record, Mapping):
            raise PriorsError(f"{where}: expected a table")
        model = record.get("model")
        if not isinstance(model, str) or not model:
            raise PriorsError(f"{where}.model: required, a model name")
        path = tuple((str(k), _str_field(record, k, where)) for k in record if k not in VALUE_FIELDS)
        cell = priors.cell(path, model)
        cell.n = _int_field(record, "n", where)
        cell.cost_n = _int_field(record, "cost_n", where)
        score = _num_field(record, "score", where, 0.0, 1.0)
        cost = _num_field(record, "cost_usd", where, 0.0, math.inf)
        if cell.n and score is None:
            raise PriorsError(f"{where}.score: required when n > 0")
        if cell.cost_n and cost is None:
            raise PriorsError(f"{where}.cost_usd: required when cost_n > 0")
        cell.score_sum = (score or 0.0) * cell.n
        cell.cost_sum = (cost or 0.0) * cell.cost_n
        cell.user_score = _num_field(record, "user_score", where, 0.0, 1.0)
        cell.user_cost = _num_field(record, "user_cost_usd", where, 0.0, math.inf)
        pinned = record.get("pinned", False)
        if not isinstance(pinned, bool):
            raise PriorsError(f"{where}.pinned: must be true or false")
        cell.pinned = pinned
    return priors


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 10)


def _str_field(record: Mapping[str, Any], key: str, where: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise PriorsError(f"{where}.{key}: a context key must be a string (got {value!r})")
    return value


def _int_field(record: Mapping[str, Any], key: str, where: str) -> int:
    value = record.get(key, 0)
    if not is_integer(value) or value < 0:
        raise PriorsError(f"{where}.{key}: must be a non-negative integer (got {value!r})")
    return value


def _num_field(record: Mapping[str, Any], key: str, where: str, low: float, high: float) -> float | None:
    value = record.get(key)
    if value is None:
        return None
    if not is_finite(value) or not low <= value <= high:
        raise PriorsError(f"{where}.{key}: must be a number in [{low}, {high}] (got {value!r})")
    return float(value)
