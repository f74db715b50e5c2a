"""ACRouter behind the shared ``RoutingPolicy`` protocol, so the bench harness replays it like any baseline.

``fit`` builds priors from the probing results (dimension x model, then the finer keys the tasks carry,
e.g. ``source``) and seeds Memory with every model's result on the probing tasks that have text.
``use_memory=False`` is the ablation without nearest-neighbour votes (named ``acrouter-no-memory``).
"""

from __future__ import annotations

from typing import Any

from router.memory import Memory
from router.policy import ACRouter
from router.priors import Priors
from router.routing import Choice, ProbeSet, RoutingTask
from router.settings import RouterSettings


class ACRouterPolicy:
    def __init__(self, settings: RouterSettings | None = None, embedder: Any = None, use_memory: bool = True,
                 seed: int | None = 0) -> None:
        self.settings = settings or RouterSettings()
        self.use_memory = use_memory
        self.name = "acrouter" if use_memory else "acrouter-no-memory"
        self.seed = seed
        self._embedder = embedder
        self._extractor: Any = None
        self._router: ACRouter | None = None
        self._features: dict[str, Any] = {}

    @property
    def router(self) -> ACRouter:
        if self._router is None:
            raise RuntimeError(f"{self.name}: call fit() before choose()")
        return self._router

    @property
    def extractor(self) -> Any:
        if self._extractor is None:
            from router.features import FeatureExtractor

            self._extractor = FeatureExtractor(self._embedder)
        return self._extractor

    @staticmethod
    def _metadata(task: RoutingTask) -> dict[str, Any]:
        return {**task.metadata, "dimension": task.dimension} if task.dimension else dict(task.metadata)

    def _extract(self, task: RoutingTask) -> Any:
        return self.extractor.extract(task.text, metadata=self._metadata(task))

    def fit(self, probe: ProbeSet) -> None:
        tasks = {task.task_id: task for task in probe.tasks}
        rows = []
        for row in probe.results.iter_rows(named=True):
            task = tasks.get(row["task_id"])
            context = {**(task.metadata if task else {}), "dimension": task.dimension if task else None}
            rows.append({**context, **row})
        keys = self.settings.prior_keys
        priors = Priors.from_rows(rows, keys=keys, strength=self.settings.prior_strength)
        priors.origin = "the probing split"
        memory = Memory(self.settings.memory_size) if self.use_memory else None
        models = list(probe.models) or priors.models
        self._router = ACRouter(models, priors, memory, self.settings, name=self.name, seed=self.seed)
        with_text = [task for task in probe.tasks if task.text]
        if memory is not None and with_text:
            features = self.extractor.extract_many([t.text for t in with_text], [self._metadata(t) for t in with_text])
            by_task: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                by_task.setdefault(row["task_id"], []).append(row)
            for task, feature in zip(with_text, features, strict=True):
                if feature.embedding is None:
                    continue
                for row in by_task.get(task.task_id, []):
                    memory.add(feature.embedding, task.task_id, task.text or "", row["model"], float(row["score"]),
                               row.get("cost_usd"))

    def choose(self, task: RoutingTask) -> Choice:
        features = self._extract(task)
        self._features[task.task_id] = features
        decision = self.router.decide(features)
        return Choice(decision.chosen, decision.propensity, decision.to_log())

    def observe(self, task: RoutingTask, model: str, score: float, cost_usd: float) -> None:
        features = self._features.pop(task.task_id, None) or self._extract(task)
        self.router.update(features, model, score, cost_usd, task_id=task.task_id)
