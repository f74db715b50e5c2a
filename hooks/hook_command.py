"""Entry points Codex hooks run: `hook post-tool-use` and `hook stop` (JSON payload on stdin), and
`hook notify [--log P] JSON` (the legacy `notify` program, which gets the JSON as its last argument).

Each appends one `tool` or `turn` event to the routing log. A hook must never disturb Codex: it always
exits 0, prints nothing on stdout, reads at most MAX_PAYLOAD_BYTES — a payload still arriving is waited for,
within Codex's hook timeout (the ``timeout`` we write into hooks.json) — and writes its problems to the
error log beside the routing log. Only the standard library and the log writer are imported here, so
the hook itself takes well under a second.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from analytics import cli_options
from analytics.numbers import is_integer
from hooks.codex_hooks import HOOK_TIMEOUT_S
from hooks.pending import pending_dir

MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
IDLE_GAP_S = 0.2  # silence after which a payload that already parses is taken without waiting for EOF
EXIT_MARGIN_S = 1.0  # of Codex's hook timeout, kept to parse and append the event after reading
MAX_MESSAGE_CHARS = 500


def configure(parser: argparse.ArgumentParser) -> None:
    """One sub-parser per kind, so options may come before the JSON argument Codex appends to `notify`."""
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, help_text in (("post-tool-use", "Codex PostToolUse hook (payload on stdin)"),
                            ("stop", "Codex Stop hook (payload on stdin)"),
                            ("notify", "legacy `notify` program (Codex appends the JSON as the last argument)")):
        sub = kinds.add_parser(kind, help=help_text, description=help_text)
        if kind == "notify":
            sub.add_argument("payload", metavar="JSON", nargs="?", help="the JSON argument Codex appends")
        cli_options.add_log(sub, "to append to")


def read_stdin(bound_s: float, limit: int = MAX_PAYLOAD_BYTES) -> tuple[bytes, str | None]:
    """Read stdin to EOF (at most ``limit`` bytes); returns (data, problem or None).

    A payload still arriving is waited for, up to ``bound_s`` (within Codex's hook timeout). A writer that
    sent a whole JSON payload but never closes stdin is not waited for: after IDLE_GAP_S of silence, data
    that already parses is used as it is.
    """
    fd = sys.stdin.fileno()
    chunks: list[bytes] = []
    size = 0
    end = time.monotonic() + bound_s
    while True:
        remaining = end - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), f"stdin still open after {bound_s:g}s with an incomplete payload " \
                                     f"({size} bytes read)"
        ready, _, _ = select.select([fd], [], [], min(IDLE_GAP_S, remaining))
        if not ready:
            if chunks and _is_json(b"".join(chunks)):
                return b"".join(chunks), None
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), None
        size += len(chunk)
        if size > limit:
            return b"", f"payload larger than {limit} bytes; ignored"
        chunks.append(chunk)


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _exit_code(response: Any) -> int | None:
    """The tool's exit code where a structured response carries one. Codex's Bash response is the raw output
    string with no exit code (0.169+), so for Bash this is None: the log never guesses one."""
    if isinstance(response, dict):
        for key in ("exit_code", "exitCode", "returncode"):
            value = response.get(key)
            if is_integer(value):
                return value
        metadata = response.get("metadata")
        if isinstance(metadata, dict):
            return _exit_code(metadata)
    return None


def _command(tool_input: Any) -> str | None:
    """The shell command of a Bash call: Codex sends ``tool_input.command`` as one string."""
    return _text(tool_input.get("command")) if isinstance(tool_input, dict) else None


def _text(value: Any) -> str | None:
    """A non-empty string field; a lone surrogate (JSON allows "\\ud800") becomes U+FFFD, as UTF-8 cannot
    carry it and the whole record would be lost."""
    if not isinstance(value, str) or not value:
        return None
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def tool_event(payload: dict[str, Any]) -> dict[str, Any]:
    from hooks.redact import redact

    response = payload.get("tool_response")
    return {"event": "tool", "source": "hook:PostToolUse", "session_id": _text(payload.get("session_id")),
            "turn_id": _text(payload.get("turn_id")), "model": _text(payload.get("model")),
            "tool": _text(payload.get("tool_name")), "tool_use_id": _text(payload.get("tool_use_id")),
            "command": redact(_command(payload.get("tool_input")), MAX_MESSAGE_CHARS),
            "exit_code": _exit_code(response),
            "output_chars": len(response) if isinstance(response, str) else None,
            "cwd": _text(payload.get("cwd")), "permission_mode": _text(payload.get("permission_mode"))}


def turn_event(payload: dict[str, Any]) -> dict[str, Any]:
    from hooks.redact import redact

    record = {"event": "turn", "source": "hook:Stop", "session_id": _text(payload.get("session_id")),
              "turn_id": _text(payload.get("turn_id")), "model": _text(payload.get("model")),
              "cwd": _text(payload.get("cwd")), "transcript_path": _text(payload.get("transcript_path")),
              "stop_hook_active": bool(payload.get("stop_hook_active")),
              "last_message": redact(_text(payload.get("last_assistant_message")), MAX_MESSAGE_CHARS)}
    return _with_pending_task(record)


def notify_event(payload: dict[str, Any]) -> dict[str, Any] | None:
    from hooks.redact import redact

    if payload.get("type") != "agent-turn-complete":
        return None
    inputs = payload.get("input-messages")
    first = _text(inputs[0]) if isinstance(inputs, list) and inputs else None
    record = {"event": "turn", "source": "notify", "session_id": _text(payload.get("thread-id")),
              "turn_id": _text(payload.get("turn-id")), "cwd": _text(payload.get("cwd")),
              "task": redact(first), "last_message": redact(_text(payload.get("last-assistant-message")),
                                                             MAX_MESSAGE_CHARS)}
    return _with_pending_task(record)


def _with_pending_task(record: dict[str, Any]) -> dict[str, Any]:
    """A turn ``record`` with the task id of the open `route --interactive` in its directory, when there is one."""
    task_id = _pending_task(record["cwd"])
    if task_id:
        record["task_id"] = task_id
    return record


def _pending_task(cwd: str | None) -> str | None:
    """The task id of an open `route --interactive` in this directory, so its session can be found later."""
    if not cwd:
        return None
    folder = pending_dir()
    try:
        markers = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return None
    here = os.path.realpath(cwd)
    for marker in markers:
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and os.path.realpath(str(data.get("cwd", ""))) == here \
                and _alive(data.get("pid")):
            return str(data.get("task_id"))
    return None


def _alive(pid: object) -> bool:
    """A marker whose `route --interactive` died without cleaning up must not claim later sessions."""
    if not is_integer(pid) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def handle(kind: str, raw: bytes | str | None) -> dict[str, Any] | None:
    """The event to log for one hook call (None when there is nothing to log); ValueError for bad input."""
    if raw is None or not raw.strip():
        raise ValueError("empty payload")
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise ValueError(f"payload is a JSON {type(payload).__name__}, not an object")
    if kind == "post-tool-use":
        record = tool_event(payload)
    elif kind == "stop":
        record = turn_event(payload)
    else:
        record = notify_event(payload)
    return None if record is None else {k: v for k, v in record.items() if v is not None}


def run(args: argparse.Namespace) -> int:
    from analytics.paths import default_log_path, error_log_path

    log_path = args.log or default_log_path()
    try:
        if args.kind == "notify":
            raw, problem = args.payload, None
        else:
            raw, problem = read_stdin(bound_s=HOOK_TIMEOUT_S - EXIT_MARGIN_S)
        try:
            record = handle(args.kind, raw)
        except ValueError as exc:
            raise ValueError(f"{problem}; {exc}" if problem else str(exc)) from None
        if record is not None:
            from analytics.logwriter import append_event

            try:
                append_event(log_path, record)
            except OSError as exc:
                raise OSError(f"cannot append to {log_path}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - a hook must never fail Codex; the problem is logged instead
        _log_error(error_log_path(log_path), args.kind, exc)
    return 0


def _log_error(path: Path, kind: str, exc: BaseException) -> None:
    """Beside the routing log, or — when that folder is unusable — in our data dir; never on stdout."""
    from analytics.paths import ERROR_LOG_FILENAME, data_dir, make_private_dir
    from analytics.schema import utc_now_iso

    detail = "" if isinstance(exc, ValueError | OSError) else "\n" + "".join(traceback.format_exception(exc))[-2000:]
    line = f"{utc_now_iso()} hook {kind}: {exc}{detail}\n".encode("utf-8", "replace")
    for target in (path, data_dir() / ERROR_LOG_FILENAME):
        try:
            make_private_dir(target.parent)
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
            return
        except OSError:
            continue
