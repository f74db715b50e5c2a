"""Memory: past tasks (embedding, model, score, cost, verifier trace) for nearest-neighbour votes.

A preallocated ring buffer: adding is O(1), the oldest entry is overwritten once ``capacity`` is reached
(FIFO), and retrieval is one matrix-vector product over the filled rows, so 20,000 entries answer in
about a millisecond. Persisted as one ``.npz`` written atomically; rebuildable from the routing log.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analytics.atomicfile import atomic_write
from analytics.errors import CodexRouterError
from analytics.paths import make_private_dir
from router.logged_routes import learned_outcomes

MEMORY_FILENAME = "memory.npz"
FORMAT_VERSION = 2
# Stored task text is for explanations only (the routing log keeps the full text for rebuilds).
MAX_TEXT = 2000


class MemoryStoreError(CodexRouterError, ValueError):
    """A memory file that cannot be read, or an entry of the wrong shape."""


@dataclass(frozen=True)
class Neighbour:
    task_id: str
    task: str
    model: str
    score: float
    cost_usd: float | None
    similarity: float
    trace: Mapping[str, Any] | None = None

    def to_log(self, max_text: int = 200) -> dict[str, Any]:
        return {"task_id": self.task_id, "task": self.task[:max_text], "model": self.model,
                "score": round(self.score, 4), "cost_usd": self.cost_usd,
                "similarity": round(self.similarity, 4)}


class Memory:
    """FIFO of ``capacity`` outcomes; embeddings are L2-normalised so a dot product is the cosine."""

    def __init__(self, capacity: int = 20000, dim: int | None = None) -> None:
        if capacity < 1:
            raise MemoryStoreError(f"capacity must be >= 1 (got {capacity})")
        self.capacity = int(capacity)
        self.dim = dim
        self._emb: np.ndarray | None = None
        self._score = np.zeros(self.capacity, dtype=np.float32)
        self._cost = np.full(self.capacity, np.nan, dtype=np.float64)
        self._model = np.zeros(self.capacity, dtype=np.int32)
        self._task_id: list[str] = [""] * self.capacity
        self._text: list[str] = [""] * self.capacity
        self._trace: list[Mapping[str, Any] | None] = [None] * self.capacity
        self._models: list[str] = []
        self._model_index: dict[str, int] = {}
        self._next = 0
        self._size = 0
        if dim is not None:
            self._allocate(dim)

    def __len__(self) -> int:
        return self._size

    def _allocate(self, dim: int) -> None:
        self.dim = int(dim)
        self._emb = np.zeros((self.capacity, self.dim), dtype=np.float32)

    def add(self, embedding: np.ndarray, task_id: str, text: str, model: str, score: float,
            cost_usd: float | None, trace: Mapping[str, Any] | None = None) -> None:
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if self._emb is None:
            self._allocate(vector.shape[0])
        if vector.shape[0] != self.dim:
            raise MemoryStoreError(f"embedding has {vector.shape[0]} dimensions, memory holds {self.dim}")
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0:
            raise MemoryStoreError(f"embedding for task {task_id!r} is zero or not finite")
        if model not in self._model_index:
            self._model_index[model] = len(self._models)
            self._models.append(model)
        slot = self._next
        assert self._emb is not None
        self._emb[slot] = vector / norm
        self._score[slot] = score
        self._cost[slot] = np.nan if cost_usd is None else cost_usd
        self._model[slot] = self._model_index[model]
        self._task_id[slot], self._text[slot], self._trace[slot] = str(task_id), str(text or "")[:MAX_TEXT], trace
        self._next = (slot + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def neighbours(self, embedding: np.ndarray, k: int = 10, threshold: float = 0.5) -> list[Neighbour]:
        """The ``k`` most similar entries with cosine >= ``threshold``, most similar first."""
        if self._size == 0 or self._emb is None or k < 1:
            return []
        query = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dim:
            raise MemoryStoreError(f"query has {query.shape[0]} dimensions, memory holds {self.dim}")
        sims = self._emb[: self._size] @ query
        if k < self._size:
            top = np.argpartition(-sims, k - 1)[:k]
        else:
            top = np.arange(self._size)
        top = top[sims[top] >= threshold]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [self._neighbour(int(i), float(sims[i])) for i in top]

    def _neighbour(self, i: int, similarity: float) -> Neighbour:
        cost = float(self._cost[i])
        return Neighbour(self._task_id[i], self._text[i], self._models[self._model[i]], float(self._score[i]),
                         None if np.isnan(cost) else cost, similarity, self._trace[i])

    def _order(self) -> np.ndarray:
        """Slots oldest to newest."""
        if self._size < self.capacity:
            return np.arange(self._size)
        return (np.arange(self.capacity) + self._next) % self.capacity

    def entries(self) -> list[Neighbour]:
        """Every entry, oldest first (similarity 1.0 as a placeholder)."""
        return [self._neighbour(int(i), 1.0) for i in self._order()]

    def resized(self, capacity: int) -> Memory:
        """A copy holding at most ``capacity`` entries, the newest kept (a FIFO size change in the settings)."""
        out = Memory(capacity, self.dim)
        if self._emb is None:
            return out
        for i in self._order()[-capacity:]:
            cost = float(self._cost[i])
            out.add(self._emb[i], self._task_id[i], self._text[i], self._models[self._model[i]],
                    float(self._score[i]), None if np.isnan(cost) else cost, self._trace[i])
        return out

    # ---- persistence ----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically (temp file in the same folder, fsync, rename), mode 0600."""
        target = Path(path)
        make_private_dir(target.parent)
        order = self._order()
        emb = self._emb[order] if self._emb is not None else np.zeros((0, self.dim or 0), np.float32)
        arrays = {
            "version": np.array(FORMAT_VERSION),
            "embeddings": emb,
            "score": self._score[order],
            "cost": self._cost[order],
            # Strings as one UTF-8 JSON blob: numpy's fixed-width unicode would pad every row to the longest.
            "records": np.frombuffer(json.dumps({
                "model": [self._models[m] for m in self._model[order]],
                "task_id": [self._task_id[i] for i in order],
                "text": [self._text[i] for i in order],
                "trace": [self._trace[i] for i in order],
            }).encode("utf-8"), dtype=np.uint8),
        }
        return atomic_write(target, lambda handle: np.savez(handle, **arrays))

    @classmethod
    def load(cls, path: str | os.PathLike[str], capacity: int = 20000) -> Memory:
        """Read a saved memory; with a smaller ``capacity`` only the newest entries are kept."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
            version = int(arrays["version"])
            emb = arrays["embeddings"]
            records = json.loads(arrays["records"].tobytes().decode("utf-8"))
            lengths = {len(arrays["score"]), len(arrays["cost"])} | {len(records[key]) for key in
                                                                     ("model", "task_id", "text", "trace")}
        except Exception as exc:  # noqa: BLE001 - zip, zlib, numpy and key errors all mean "damaged file"
            raise MemoryStoreError(f"{path}: not a readable memory file ({type(exc).__name__}: {exc}); "
                                   f"the route launcher and the dashboard rebuild it from the routing log") from exc
        if version != FORMAT_VERSION:
            raise MemoryStoreError(f"{path}: memory format {version}, expected {FORMAT_VERSION}")
        if emb.ndim != 2 or lengths != {len(emb)}:
            raise MemoryStoreError(f"{path}: inconsistent memory arrays; the route launcher and the dashboard rebuild it from the routing log")
        memory = cls(capacity, dim=int(emb.shape[1]) if emb.ndim == 2 and emb.shape[1] else None)
        for i in range(max(0, len(emb) - capacity), len(emb)):
            cost = float(arrays["cost"][i])
            memory.add(emb[i], str(records["task_id"][i]), str(records["text"][i]), str(records["model"][i]),
                       float(arrays["score"][i]), None if np.isnan(cost) else cost, records["trace"][i])
        return memory

    @classmethod
    def from_events(cls, events: Any, encode: Callable[[list[str]], np.ndarray],
                    capacity: int = 20000) -> Memory:
        """Rebuild from routing-log ``outcome`` events whose task text is known (re-embedded in one batch)."""
        memory = cls(capacity)
        memory.add_events(events, encode)
        return memory

    def add_events(self, events: Any, encode: Callable[[list[str]], np.ndarray]) -> int:
        """Add routing-log ``outcome`` events whose task text is known (embedded in one batch); how many."""
        rows = [(record, context) for record, context in learned_outcomes(events)
                if isinstance(context.get("task"), str) and context["task"].strip()]
        rows = rows[-self.capacity:]
        if not rows:
            return 0
        vectors = encode([context["task"] for _, context in rows])
        for (record, context), vector in zip(rows, vectors, strict=True):
            cost = record.get("cost_usd")
            self.add(vector, str(record.get("task_id", "")), context["task"], str(record["model"]),
                     float(record["score"]), None if cost is None else float(cost), record.get("verifier"))
        return len(rows)
