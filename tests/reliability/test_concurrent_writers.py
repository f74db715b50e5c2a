"""Sixteen hook processes append 1,000 records each while the dashboard's ingester polls the same log:
every record arrives exactly once, and no line is torn or merged."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import pytest

WRITERS = 16
PER_WRITER = 1000


def _hook_worker(log: str, writer: int, count: int, start: multiprocessing.Event) -> None:
    """Codex's side: each call goes through `codex-router hook ...` (hooks.cli.main), as Codex would run it.

    Even writers use the legacy `notify` form (JSON argument), odd ones `post-tool-use` (JSON on stdin,
    replaced by a pipe per call). Payloads carry multi-byte text and are up to ~2.5 KB long.
    """
    from hooks.cli import main

    start.wait()
    for i in range(count):
        ident = f"w{writer:02d}-{i:04d}"
        text = f"{ident} ünïcödé ✓ " + "x" * ((writer * 131 + i * 17) % 1800)
        if writer % 2 == 0:
            payload = {"type": "agent-turn-complete", "thread-id": f"s{writer}", "turn-id": ident,
                       "cwd": "/nonexistent", "input-messages": [text], "last-assistant-message": "ok"}
            code = main(["hook", "notify", json.dumps(payload), "--log", log])
        else:
            payload = {"session_id": f"s{writer}", "turn_id": ident, "tool_name": "shell", "model": "gpt-5.4",
                       "tool_use_id": text, "tool_response": {"exit_code": i % 3}, "cwd": "/nonexistent"}
            read_fd, write_fd = os.pipe()
            os.write(write_fd, json.dumps(payload).encode())
            os.close(write_fd)
            saved = sys.stdin
            sys.stdin = os.fdopen(read_fd, "rb")
            try:
                code = main(["hook", "post-tool-use", "--log", log])
            finally:
                sys.stdin.close()
                sys.stdin = saved
        if code != 0:
            raise SystemExit(f"hook returned {code}")


@pytest.mark.slow
def test_sixteen_hook_processes_while_the_ingester_polls(ingest):
    log = str(ingest.log)
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding DuckDB threads
    start = ctx.Event()
    workers = [ctx.Process(target=_hook_worker, args=(log, w, PER_WRITER, start)) for w in range(WRITERS)]
    for proc in workers:
        proc.start()
    start.set()
    polls = ingested = 0
    deadline = time.monotonic() + 240
    while any(proc.is_alive() for proc in workers):
        assert time.monotonic() < deadline, "writers did not finish"
        ingested += ingest.poll().new_events
        polls += 1
    for proc in workers:
        proc.join()
        assert proc.exitcode == 0
    ingested += ingest.poll().new_events
    total = WRITERS * PER_WRITER
    assert polls > 3, "the ingester never ran while the writers did"

    error_log = Path(log).with_name("routing_log.errors.log")
    assert not error_log.exists(), error_log.read_text()[:2000]
    raw = Path(log).read_bytes()
    assert raw.endswith(b"\n")
    lines = raw.split(b"\n")[:-1]
    assert len(lines) == total  # a merged line would lower the count, a torn one break the JSON below
    ids = [json.loads(text)["turn_id"] for text in lines]
    expected = {f"w{w:02d}-{i:04d}" for w in range(WRITERS) for i in range(PER_WRITER)}
    assert len(ids) == len(set(ids)) and set(ids) == expected

    assert ingested == total
    assert ingest.malformed() == []
    rows = ingest.store.execute("SELECT count(*), count(DISTINCT turn_id) FROM events").fetchone()
    assert rows == (total, total)
    for w in range(WRITERS):  # each writer's records keep their order in the file
        order = [r[0] for r in ingest.store.execute(
            "SELECT turn_id FROM events WHERE session_id = ? ORDER BY line", [f"s{w}"]).fetchall()]
        assert order == sorted(order) and len(order) == PER_WRITER
    ingest.restart()
    assert ingest.poll().new_events == 0
