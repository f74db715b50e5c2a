"""Running `codex exec --json` and reading its event stream: the exec step of the route use case.

Why its own module: the launcher (``hooks.launcher``) decides, verifies, logs and learns; this module only
starts Codex from an argv list (never a shell), reads its JSONL stream as it arrives, and stops its process
group on cancel or timeout. Usage comes from the last ``turn.completed`` (cumulative for the thread).
"""

from __future__ import annotations

import errno
import json
import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ProgressCallback = Callable[[str, str], None]
EXIT_CODEX_MISSING = 127
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130


@dataclass
class StreamState:
    """What the `codex exec --json` stream told us so far."""

    thread_id: str | None = None
    usage: dict[str, int] | None = None
    completed: bool = False
    failure: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    file_changes: list[str] = field(default_factory=list)
    commands: int = 0
    last_message: str | None = None
    malformed: int = 0

    def feed(self, line: str) -> str | None:
        """Take one line; return a progress message for it (or None)."""
        try:
            event = json.loads(line)
        except ValueError:
            self.malformed += 1
            return None
        if not isinstance(event, dict):
            self.malformed += 1
            return None
        kind = event.get("type")
        if kind == "thread.started":
            self.thread_id = event.get("thread_id")
            return f"session {self.thread_id}"
        if kind == "turn.completed":
            usage = event.get("usage") or {}
            self.usage = {  # cumulative for the thread: the latest replaces, never adds
                "input": int(usage.get("input_tokens") or 0),
                "cached_input": int(usage.get("cached_input_tokens") or 0),
                "output": int(usage.get("output_tokens") or 0),
                "reasoning": int(usage.get("reasoning_output_tokens") or 0),
                "cache_write": int(usage.get("cache_write_input_tokens") or 0),  # inside input, like cached
            }
            self.completed = True
            return "turn completed: {input} in ({cached_input} cached), {output} out".format(**self.usage)
        if kind == "turn.failed":
            self.failure = str((event.get("error") or {}).get("message") or "turn failed")
            return f"turn failed: {self.failure}"
        if kind == "error":
            self.errors.append(str(event.get("message") or "error"))
            return f"error: {self.errors[-1]}"
        if kind in ("item.started", "item.completed"):
            return self._item(kind, event.get("item") or {})
        return None

    def _item(self, kind: str, item: dict[str, Any]) -> str | None:
        item_type = item.get("type")
        done = kind == "item.completed"
        if item_type == "command_execution":
            if not done:
                return f"$ {item.get('command')}"
            self.commands += 1
            return f"$ {item.get('command')} -> exit {item.get('exit_code')}"
        if item_type == "file_change" and done:
            changes = item.get("changes") or []
            self.file_changes += [str(c.get("path")) for c in changes if isinstance(c, dict) and c.get("path")]
            return "files: " + ", ".join(f"{c.get('kind')} {c.get('path')}" for c in changes if isinstance(c, dict))
        if item_type == "agent_message" and done:
            self.last_message = str(item.get("text") or "")
            return f"assistant: {self.last_message[:200]}"
        if item_type == "error" and done:  # Codex's non-fatal notices ("model metadata not found", ...)
            self.warnings.append(str(item.get("message") or "error"))
            return f"warning: {self.warnings[-1]}"
        if done and item_type in ("reasoning", "mcp_tool_call", "web_search", "todo_list"):
            return item_type.replace("_", " ")
        return None


def run_exec(argv: list[str], stdin_text: str | None, workdir: Path, progress: ProgressCallback,
             cancel: threading.Event | None, timeout_s: float) -> tuple[StreamState, str, int, str]:
    """Run `codex exec --json`, feeding its stream to ``progress``; (stream, status, exit code, message).

    ``cancel`` or the deadline stops Codex's process group; stderr is kept only to explain a failure.
    """
    stream = StreamState()
    try:
        proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                errors="replace", start_new_session=True)
    except OSError as exc:
        missing = exc.errno in (errno.ENOENT, errno.EACCES, errno.ENOEXEC)
        return (stream, "codex_missing" if missing else "error", EXIT_CODEX_MISSING if missing else 1,
                f"cannot start {argv[0]}: {exc}")
    lines: queue.Queue[str | None] = queue.Queue()
    stderr_tail: list[str] = []
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    threading.Thread(target=_tail, args=(proc.stderr, stderr_tail), daemon=True).start()
    if stdin_text is not None:
        proc.stdin.write(stdin_text)
        proc.stdin.close()
    deadline = time.monotonic() + timeout_s
    status = None
    try:
        while True:
            if cancel is not None and cancel.is_set():
                status = "interrupted"
                break
            if time.monotonic() > deadline:
                status = "timeout"
                break
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                break
            message = stream.feed(line)
            if message:
                progress("codex", message)
    except KeyboardInterrupt:
        status = "interrupted"
    if status is not None:
        _stop(proc)
        if status == "timeout":
            return stream, status, EXIT_TIMEOUT, f"codex exec timed out after {timeout_s:g}s and was stopped"
        return stream, status, EXIT_INTERRUPTED, "interrupted: codex exec was stopped"
    try:
        returncode = proc.wait(timeout=max(deadline - time.monotonic(), 1.0))
    except subprocess.TimeoutExpired:  # stdout closed but the process lingers
        _stop(proc)
        return stream, "timeout", EXIT_TIMEOUT, f"codex exec did not exit within {timeout_s:g}s and was stopped"
    if stream.failure:
        return stream, "turn_failed", returncode or 1, f"turn failed: {stream.failure}"
    if stream.completed and returncode == 0:
        return stream, "ok", 0, "turn completed"
    reason = stream.errors[-1] if stream.errors else (codex_error("".join(stderr_tail))
                                                      or "the event stream ended before turn.completed")
    return stream, "error", returncode or 1, f"codex exec failed (exit {returncode}): {reason}"


# stderr lines that never explain a failure: clap's help hint, Codex's start-up warnings, backtrace frames.
_STDERR_NOISE = re.compile(r"^(For more information, try|Usage:|WARNING: |Reading (additional )?(input|prompt) from "
                           r"stdin|\s*\d+: |\s*at |Stack backtrace:|\d{4}-\d\d-\d\dT\S+ +(INFO|WARN|DEBUG|TRACE))")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def codex_error(stderr: str, limit: int = 600) -> str:
    """The lines of Codex's stderr that say what went wrong: from the first ``error``/``Error`` line to the
    blank line after it (clap and anyhow both print the cause there), else the last meaningful lines."""
    lines = [line.rstrip() for line in _ANSI.sub("", stderr).splitlines()]
    for i, line in enumerate(lines):
        if re.match(r"(?i)^(error\b|error:|\S+ error\b)", line.strip()):
            block = []
            for rest in lines[i:]:
                if not rest.strip() or _STDERR_NOISE.match(rest):
                    break
                block.append(rest.strip())
            return " ".join(block)[:limit]
    meaningful = [line.strip() for line in lines if line.strip() and not _STDERR_NOISE.match(line)]
    return " ".join(meaningful[-3:])[:limit]


def _pump(stream, sink: queue.Queue) -> None:
    for line in stream:
        if line.strip():
            sink.put(line)
    sink.put(None)


def _tail(stream, sink: list[str], limit: int = 8192) -> None:
    size = 0
    for line in stream:
        sink.append(line)
        size += len(line)
        while size > limit and len(sink) > 1:
            size -= len(sink.pop(0))


def _stop(proc: subprocess.Popen) -> None:
    """Ask Codex's process group to stop (SIGINT lets it write its rollout), then force it: no orphan keeps editing."""
    import signal

    from hooks.sandbox import stop_group

    stop_group(proc, ((signal.SIGINT, 3.0), (signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)))
