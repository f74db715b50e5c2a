"""Hook events under load: many writers start `codex-router hook post-tool-use` at once, as Codex does, with
large payloads on a busy machine, and we count the events that never reached the routing log.

Each writer thread runs --calls hooks one after another; each hook gets a JSON payload of up to --max-kb
(sizes spread evenly) written in 64 KiB pieces; --stall pauses the writer that long half-way through every
payload (a descheduled Codex). --burners CPU-bound processes keep every core busy meanwhile. Prints one
JSON line: calls, lost (sent but not in the log), error-log lines, hook seconds p50/p95/max, wall seconds.
The red team's figure: --writers 16 --calls 200 --max-kb 300 (the default). The reliability suite runs a
small version with a stall (tests/reliability/test_hook_faults.py).
Usage: python benchmarks/bench_hook_load.py [--writers 16] [--calls 200] [--max-kb 300] [--burners N]
       [--stall 0]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHUNK = 64 * 1024


def _burn(stop: multiprocessing.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def _payload(writer: int, call: int, size: int) -> bytes:
    head = {"session_id": f"s{writer}", "turn_id": f"w{writer:02d}-{call:04d}", "tool_name": "shell",
            "model": "gpt-5.4", "tool_use_id": f"c{writer}-{call}", "cwd": "/nonexistent",
            "hook_event_name": "PostToolUse", "tool_response": ""}
    filler = max(size - len(json.dumps(head)), 0)
    return json.dumps({**head, "tool_response": "Exit code: 0\nWall time: 0.1 seconds\n" + "x" * filler}).encode()


def _one_hook(log: Path, data: bytes, stall_s: float) -> float:
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "hooks.cli", "hook", "post-tool-use", "--log", str(log)],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        half = len(data) // 2
        for at in range(0, len(data), CHUNK):
            if stall_s and at <= half < at + CHUNK:
                proc.stdin.write(data[at:half])
                proc.stdin.flush()
                time.sleep(stall_s)
                proc.stdin.write(data[half:at + CHUNK])
            else:
                proc.stdin.write(data[at:at + CHUNK])
            proc.stdin.flush()
        proc.stdin.close()
    except BrokenPipeError:  # the hook gave up early: the event is lost, and counted as such
        pass
    proc.wait(timeout=60)
    return time.monotonic() - started


def run(writers: int, calls: int, max_kb: int, burners: int, stall_s: float) -> dict:
    """Run the load and return the figures (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="bench-hook-load-") as tmp:
        log = Path(tmp) / "routing_log.jsonl"
        times: list[float] = []
        lock = threading.Lock()

        def writer(w: int) -> None:
            for call in range(calls):
                size = max_kb * 1024 * ((w * calls + call) % 10 + 1) // 10
                took = _one_hook(log, _payload(w, call, size), stall_s)
                with lock:
                    times.append(took)

        ctx = multiprocessing.get_context("spawn")
        stop = ctx.Event()
        burning = [ctx.Process(target=_burn, args=(stop,), daemon=True) for _ in range(burners)]
        for proc in burning:
            proc.start()
        started = time.monotonic()
        try:
            threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            stop.set()
            for proc in burning:
                proc.join(timeout=10)
        wall = time.monotonic() - started
        logged = set()
        if log.exists():
            for line in log.read_text(encoding="utf-8").splitlines():
                logged.add(json.loads(line).get("turn_id"))
        errors = log.with_name("routing_log.errors.log")
        error_lines = errors.read_text(encoding="utf-8").splitlines() if errors.exists() else []
    ordered = sorted(times)
    return {"writers": writers, "calls": writers * calls, "max_kb": max_kb, "burners": burners, "stall_s": stall_s,
            "lost": writers * calls - len(logged), "error_log_lines": len(error_lines),
            "first_error": error_lines[0] if error_lines else None,
            "hook_s": {"p50": round(statistics.median(ordered), 3),
                       "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3), "max": round(ordered[-1], 3)},
            "wall_s": round(wall, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--calls", type=int, default=200, help="hook calls per writer")
    parser.add_argument("--max-kb", type=int, default=300, help="largest payload (KiB)")
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2, help="CPU-bound processes")
    parser.add_argument("--stall", type=float, default=0.0, help="writer pause half-way through each payload (s)")
    args = parser.parse_args()
    print(json.dumps(run(args.writers, args.calls, args.max_kb, args.burners, args.stall)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
