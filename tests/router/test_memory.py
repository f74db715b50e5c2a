"""Memory: FIFO eviction, top-k with a cosine threshold, atomic persistence, rebuild from the log."""

from __future__ import annotations

import numpy as np
import pytest

from router.memory import Memory, MemoryStoreError


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_fifo_evicts_the_oldest():
    memory = Memory(capacity=3)
    for i in range(5):
        memory.add(unit(1, i, 0), f"t{i}", f"task {i}", "m", 1.0, 0.01)
    assert len(memory) == 3
    assert [e.task_id for e in memory.entries()] == ["t2", "t3", "t4"]
    found = {n.task_id for n in memory.neighbours(unit(1, 0, 0), k=10, threshold=-1.0)}
    assert found == {"t2", "t3", "t4"}


def test_top_k_and_threshold():
    memory = Memory(capacity=10)
    memory.add(unit(1, 0, 0), "same", "", "a", 1.0, 0.01)
    memory.add(unit(1, 1, 0), "close", "", "b", 0.0, None)      # cosine 0.707
    memory.add(unit(1, 3, 0), "far", "", "a", 1.0, 0.02)        # cosine 0.316
    memory.add(unit(0, 0, 1), "orthogonal", "", "c", 1.0, 0.02)
    hits = memory.neighbours(unit(1, 0, 0), k=10, threshold=0.5)
    assert [h.task_id for h in hits] == ["same", "close"]
    assert hits[0].similarity == pytest.approx(1.0) and hits[1].cost_usd is None
    assert [h.task_id for h in memory.neighbours(unit(1, 0, 0), k=1, threshold=0.0)] == ["same"]
    assert memory.neighbours(unit(0, 1, 0), k=3, threshold=0.95) == []
    with pytest.raises(MemoryStoreError, match="dimensions"):
        memory.neighbours(np.ones(4), k=1)


def test_persistence_round_trip_and_smaller_capacity(tmp_path):
    memory = Memory(capacity=4)
    for i in range(6):
        memory.add(unit(1, i, 1), f"t{i}", f"text {i}", ["a", "b"][i % 2], i / 10, None if i == 5 else i / 100,
                   {"tests": i})
    path = memory.save(tmp_path / "sub" / "memory.npz")
    assert path.stat().st_mode & 0o777 == 0o600
    again = Memory.load(path, capacity=4)
    assert again.entries() == memory.entries()
    query = unit(1, 3, 1)
    assert again.neighbours(query, 2, 0.0) == memory.neighbours(query, 2, 0.0)
    assert [e.task_id for e in Memory.load(path, capacity=2).entries()] == ["t4", "t5"]
    assert again.resized(2).entries() == Memory.load(path, capacity=2).entries()
    path.write_bytes(b"not a zip")
    with pytest.raises(MemoryStoreError, match=str(path)):
        Memory.load(path)


def test_rebuild_from_log_events_reembeds_texts():
    events = [
        {"event": "route", "task_id": "t1", "task": "fix the parser", "dimension": "bug_fixing"},
        {"event": "outcome", "task_id": "t1", "model": "a", "score": 1.0, "cost_usd": 0.01, "verifier": {"ast": 1}},
        {"event": "outcome", "task_id": "t2", "model": "a", "score": 1.0, "cost_usd": 0.01},  # no text: skipped
    ]
    seen: list[list[str]] = []

    def encode(texts):
        seen.append(texts)
        return np.tile(unit(1, 2, 3), (len(texts), 1))

    memory = Memory.from_events(events, encode, capacity=5)
    assert seen == [["fix the parser"]]
    (entry,) = memory.entries()
    assert (entry.task_id, entry.model, entry.trace) == ("t1", "a", {"ast": 1})


def test_saved_size_does_not_grow_with_the_longest_text(tmp_path):
    memory = Memory(capacity=200)
    for i in range(200):
        memory.add(unit(1, i, 2), f"t{i}", "x" * (100_000 if i == 0 else 10), "m", 1.0, 0.01)
    path = memory.save(tmp_path / "memory.npz")
    assert path.stat().st_size < 40_000  # fixed-width strings would take 200 x 2,000 x 4 bytes
    assert len(Memory.load(path, capacity=200).entries()[0].task) == 2000
