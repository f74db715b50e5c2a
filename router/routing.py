"""The interface every routing policy shares, so ACRouter and the baselines replay through one harness.

A policy sees a probing set with every model's result (``fit``), then routes tasks one at a time
(``choose``) and learns only the chosen model's outcome (``observe``): bandit feedback, as in the paper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class RoutingTask:
    """One task as a router sees it: text when there is any, metadata always (source, language, repo...)."""

    task_id: str
    dimension: str | None = None
    text: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ProbeSet:
    """Tasks whose results are known for every model.

    ``results`` columns: task_id, model, score, cost_usd, cost_estimated (bool: derived from tokens x prices).
    """

    tasks: list[RoutingTask]
    results: pl.DataFrame
    models: list[str]


@dataclass(frozen=True)
class Choice:
    model: str
    propensity: float = 1.0
    explanation: Mapping[str, Any] | None = None


class RoutingPolicy(Protocol):
    name: str

    def fit(self, probe: ProbeSet) -> None: ...

    def choose(self, task: RoutingTask) -> Choice: ...

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None: ...
