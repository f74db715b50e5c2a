"""State faults: the DuckDB cache deleted, truncated or locked; settings files that are not TOML; a save
killed half-way; a corrupt memory file. The routing log is the truth: everything else can be rebuilt."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from reliability_helpers import REPO, line

from analytics.store import Store, StoreCorruptError, StoreLockedError

N = 50


@pytest.fixture
def filled(ingest):
    ingest.log.write_bytes(b"".join(line(i) for i in range(N)))
    assert ingest.poll().new_events == N
    ingest.close()
    ingest.store = None
    return ingest


def _count(ingest) -> int:
    return ingest.store.execute("SELECT count(*) FROM events").fetchone()[0]


def test_database_deleted_is_rebuilt_from_the_log(filled):
    filled.db.unlink()
    filled.restart()
    assert filled.poll().new_events == N
    assert sorted(filled.turn_ids()) == sorted(f"t{i}" for i in range(N))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_database_is_named_then_rebuilt_on_request(filled, damage):
    data = filled.db.read_bytes()
    filled.db.write_bytes({"truncate": data[: len(data) // 3], "garbage": b"\x00not a database" * 500,
                           "empty": b""}[damage])
    if damage != "empty":
        with pytest.raises(StoreCorruptError) as caught:
            Store(filled.db)
        assert str(filled.db) in str(caught.value)
        assert "rebuild" in str(caught.value).lower()
    store, rebuilt = Store.open_or_rebuild(filled.db)
    store.close()
    assert rebuilt or damage == "empty"
    filled.restart()
    assert filled.poll().new_events == N
    assert _count(filled) == N


@contextlib.contextmanager
def _holding(db: Path):
    """Another process (a running dashboard) holds ``db`` open read-write until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(db)!r})
            print("ready", flush=True)
            sys.stdin.read()
            """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.communicate("", timeout=30)


def test_database_locked_by_another_process(filled):
    with _holding(filled.db):
        with pytest.raises(StoreLockedError) as caught:
            Store(filled.db)
        message = str(caught.value)
        assert str(filled.db) in message and "locked" in message
        with pytest.raises(StoreLockedError):
            Store(filled.db, read_only=True)
    filled.restart()  # the lock is gone with its holder: nothing lost, nothing repeated
    assert filled.poll().new_events == 0
    assert _count(filled) == N


def _report(filled) -> tuple[int, dict | None, str]:
    done = subprocess.run([sys.executable, "-m", "hooks.cli", "report", "--log", str(filled.log), "--db",
                           str(filled.db), "--json"], capture_output=True, text=True, cwd=REPO, timeout=120)
    return done.returncode, json.loads(done.stdout) if done.returncode == 0 else None, done.stderr


def test_report_falls_back_to_memory_while_the_dashboard_holds_the_database(filled):
    with _holding(filled.db):
        code, report, stderr = _report(filled)
    assert code == 0, stderr
    assert "locked" in stderr and str(filled.db) in stderr and "in-memory" in stderr
    assert report["events"] == N


def test_report_rebuilds_a_corrupt_database_and_says_so(filled):
    filled.db.write_bytes(b"\x00garbage" * 1000)
    code, report, stderr = _report(filled)
    assert code == 0, stderr
    assert "rebuilt" in stderr and str(filled.db) in stderr
    assert report["events"] == N


def _toml_error(path: Path, loader) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[route]\ntimeout_s = 30\n\n[verifier\nmemory_mb = 10\n', encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        loader(path)
    return str(caught.value)


def test_hooks_settings_invalid_toml_names_file_and_line(tmp_path):
    from hooks.settings import HooksSettings

    message = _toml_error(tmp_path / "codex.toml", HooksSettings.load)
    assert str(tmp_path / "codex.toml") in message and "line 4" in message


def test_price_override_invalid_toml_names_file_and_line(tmp_path):
    from analytics.prices import PriceBook

    message = _toml_error(tmp_path / "prices.toml", PriceBook.load)
    assert str(tmp_path / "prices.toml") in message and "line 4" in message


def test_corrupt_memory_file_is_a_clear_error_and_rebuilds_from_the_log(tmp_path):
    import numpy as np

    from router.memory import Memory, MemoryStoreError

    def encode(texts):
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, len(text) % 8] = 1.0
        return out

    memory = Memory(capacity=10)
    for i in range(4):
        memory.add(encode([f"task {i}" * (i + 1)])[0], f"t{i}", f"task {i}", "gpt-5.4", 0.5, 0.01)
    path = memory.save(tmp_path / "memory.npz")
    data = path.read_bytes()
    for damaged in (data[: len(data) // 2], b"garbage" * 10, b"", data[:30] + b"\x00" * 200 + data[230:]):
        path.write_bytes(damaged)
        with pytest.raises(MemoryStoreError) as caught:
            Memory.load(path)
        assert str(path) in str(caught.value)
    events = [{"event": "route", "task_id": f"t{i}", "task": f"task {i}", "model": "glm-5"} for i in range(3)]
    events += [{"event": "outcome", "task_id": f"t{i}", "task": f"task {i}", "model": "glm-5", "score": 1.0,
                "cost_usd": 0.002} for i in range(3)]
    rebuilt = Memory.from_events(events, encode, capacity=10)
    assert [e.task_id for e in rebuilt.entries()] == ["t0", "t1", "t2"]


def test_database_file_is_created_0600(tmp_path):
    """The cache holds task texts and project paths like the log does, so it gets the log's mode."""
    old = os.umask(0o022)
    try:
        Store(tmp_path / "fresh" / "routing.duckdb").close()
    finally:
        os.umask(old)
    assert oct((tmp_path / "fresh" / "routing.duckdb").stat().st_mode & 0o777) == oct(0o600)


def test_router_state_rebuilds_a_corrupt_memory_from_the_log_on_load(tmp_path):
    """What the launcher and the dashboard do: the damaged file is kept aside, memory comes back from the log."""
    import numpy as np

    from router.memory import MEMORY_FILENAME, Memory
    from router.state import RouterState, StateError

    data = tmp_path / "data"
    data.mkdir()
    (data / MEMORY_FILENAME).write_bytes(b"not an npz at all")
    with pytest.raises(StateError, match=MEMORY_FILENAME):
        RouterState.load(tmp_path / "config", data)

    def rebuild(capacity: int) -> Memory:
        memory = Memory(capacity)
        memory.add(np.ones(4, dtype=np.float32), "t1", "fix the parser", "glm-5", 1.0, 0.002)
        return memory

    state = RouterState.load(tmp_path / "config", data, rebuild_memory=rebuild)
    assert [e.task_id for e in state.memory.entries()] == ["t1"]
    assert (data / f"{MEMORY_FILENAME}.corrupt").read_bytes() == b"not an npz at all"
    assert "rebuilt from the routing log (1 outcomes)" in state.recovered
