"""Processes killed with SIGKILL at arbitrary moments: an ingest (rows and offsets commit together, so a
restart neither repeats nor skips a line) and a state save (atomic: the old file or the new, never a mix)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from reliability_helpers import REPO, line

LINES = 20_000
KILLS = 6


def _spawn(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})


def _kill_when_ready(proc: subprocess.Popen, delay: float) -> None:
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.slow
def test_ingest_killed_mid_poll_resumes_exactly(ingest):
    ingest.log.write_bytes(b"".join(line(i, task="t" * (i % 300)) for i in range(LINES)))
    ingest.close()
    rng = random.Random(6)
    killed = 0
    for _ in range(KILLS):
        proc = _spawn(f"""
            from analytics.ingest import LogIngester
            from analytics.prices import PriceBook
            from analytics.store import Store
            store = Store({str(ingest.db)!r})
            ingester = LogIngester(store, [{str(ingest.log)!r}], prices=PriceBook({{}}, {{}}), chunk_bytes=16384)
            print("ready", flush=True)
            ingester.poll()
            print("done", flush=True)
            """)
        _kill_when_ready(proc, rng.uniform(0.0, 0.4))
        killed += proc.returncode == -signal.SIGKILL
    assert killed >= 1
    ingest.store = None
    ingest.restart()
    ingest.poll()
    rows = ingest.store.execute("SELECT count(*), count(DISTINCT turn_id), count(DISTINCT line) FROM events")
    assert rows.fetchone() == (LINES, LINES, LINES)
    assert ingest.malformed() == []


@pytest.mark.slow
def test_memory_save_killed_half_way_is_old_or_new(tmp_path):
    from router.memory import Memory

    path = tmp_path / "memory.npz"
    rng = random.Random(7)
    seen = set()
    for attempt in range(KILLS):
        proc = _spawn(f"""
            import numpy as np
            from router.memory import Memory
            rng = np.random.default_rng({attempt})
            memories = []
            for size in (2000, 3000):
                memory = Memory(capacity=size)
                for i in range(size):
                    memory.add(rng.normal(size=64), f"{{size}}-{{i}}", "x" * 50, "m", 0.5, 0.01)
                memories.append(memory)
            memories[0].save({str(path)!r})
            print("ready", flush=True)
            while True:
                for memory in memories:
                    memory.save({str(path)!r})
            """)
        _kill_when_ready(proc, rng.uniform(0.05, 0.5))
        loaded = Memory.load(path, capacity=5000)
        assert len(loaded) in (2000, 3000)
        entries = loaded.entries()
        assert {e.task_id.split("-")[0] for e in entries} == {str(len(loaded))}  # never a mix of the two
        seen.add(len(loaded))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "memory.npz"]
    assert len(leftovers) <= KILLS, leftovers  # at most one orphaned temp file per kill
