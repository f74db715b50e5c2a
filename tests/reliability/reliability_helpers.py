"""Helpers for the reliability suite (a plain module with a unique name: the tests folders are not packages,
so ``conftest`` would be ambiguous when every area runs together): a throw-away store + ingester, and the
hook run as Codex runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOOK_ARGV = [sys.executable, "-m", "hooks.cli", "hook"]


def event(i: int, **extra) -> dict:
    """A small valid `tool` event; ``i`` makes it unique (``turn_id``)."""
    return {"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "tool", "tool": "shell", "model": "gpt-5.4",
            "turn_id": f"t{i}", "exit_code": 0, **extra}


def line(i: int, **extra) -> bytes:
    return (json.dumps(event(i, **extra)) + "\n").encode()


@dataclass
class Ingest:
    """One database and one log folder; ``restart()`` is what a dashboard restart does."""

    db: Path
    log: Path

    def __post_init__(self) -> None:
        self.store = None
        self.ingester = None
        self.restart()

    def restart(self):
        from analytics.ingest import LogIngester
        from analytics.prices import PriceBook
        from analytics.store import Store

        if self.store is not None:
            self.store.close()
        self.store = Store(self.db)
        self.ingester = LogIngester(self.store, [self.log], prices=PriceBook({}, {}))  # prices: not under test
        return self

    def poll(self):
        return self.ingester.poll()

    def turn_ids(self) -> list[str]:
        return [r[0] for r in self.store.execute("SELECT turn_id FROM events ORDER BY file, line").fetchall()]

    def malformed(self) -> list[tuple[str, int, str]]:
        return self.store.execute("SELECT file, line, error FROM malformed ORDER BY line").fetchall()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


@dataclass
class HookRun:
    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float


def run_hook(kind: str, log: Path, stdin: bytes | None = None, *, extra: list[str] | None = None,
             stdout_closed: bool = False, slow_stdin_s: float | None = None, more_stdin: bytes = b"",
             timeout: float = 30) -> HookRun:
    """Run `codex-router hook KIND --log LOG` as a real process, the way Codex does.

    ``slow_stdin_s``: keep stdin open (and silent) that long after writing ``stdin``, like a stuck writer;
    then ``more_stdin`` is written and stdin closed.
    ``stdout_closed``: fd 1 is closed in the child (``>&-``), not merely redirected.
    """
    argv = [*HOOK_ARGV, kind, *(extra or []), "--log", str(log)]
    if stdout_closed:
        argv = ["sh", "-c", 'exec "$@" >&-', "sh", *argv]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=None if stdout_closed else subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=REPO)
    try:
        if slow_stdin_s is None:
            out, err = proc.communicate(stdin or b"", timeout=timeout)
        else:
            if stdin:
                proc.stdin.write(stdin)
                proc.stdin.flush()
            try:
                proc.wait(timeout=slow_stdin_s)
            except subprocess.TimeoutExpired:
                pass
            out, err = proc.communicate(more_stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # a hung hook is the failure being reported; do not leave it behind
        proc.communicate()
        raise
    seconds = time.monotonic() - started
    return HookRun(proc.returncode, out or b"", err, seconds)


def lock_held(path: Path) -> bool:
    """Whether a process still holds the flock on ``path``: how a test outside the sandbox's pid namespace
    (where its pids mean nothing) sees that a process there is alive; the kernel drops the lock when the last
    holder dies."""
    import fcntl

    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False
