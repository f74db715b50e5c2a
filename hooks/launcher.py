"""Route one task: features -> decision -> `codex exec --json` -> verify -> outcome event -> router update.

`RouteLauncher.run` is what both `codex-router route` and the dashboard call (the dashboard from a worker
thread, with ``on_progress(kind, message)`` and a ``cancel`` event). Codex runs from an argv list, never a
shell, with the task after ``--`` (see ``hooks.codex_version.exec_argv``). Its JSONL stream is read as it
arrives; usage comes from the last ``turn.completed`` (cumulative for the thread, not summed).

Outcome statuses and what the router learns: ``ok`` -> the verifier's confidence; ``turn_failed`` and
``timeout`` -> score 0 (the model did not deliver); ``error`` (stream died, Codex crashed), ``interrupted``,
``codex_missing`` and ``verifier_error`` (Codex finished but checking its work failed) -> logged without a
score and not learned from (not the model's doing).
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import queue
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.logwriter import append_event
from analytics.paths import codex_home, default_log_path, make_private_dir
from hooks import codex_version
from hooks.codex_config import existing_profile
from hooks.pending import pending_dir
from hooks.redact import redact
from hooks.settings import HooksSettings
from hooks.verifier import Verifier, changed_since, snapshot

ProgressCallback = Callable[[str, str], None]
EXIT_CODEX_MISSING = 127
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130
LEARN_FROM = {"ok", "turn_failed", "timeout"}


@dataclass(frozen=True)
class Proposal:
    """The router's pick before anything runs: what a dashboard shows so the user can accept or override."""

    task: str
    cwd: Path
    features: Any
    decision: Any


@dataclass
class RouteResult:
    task_id: str
    model: str
    status: str  # dry_run | ok | turn_failed | timeout | interrupted | codex_missing | error | verifier_error
    exit_code: int
    router: str
    proposed_model: str | None = None
    decision: Any = None
    score: float | None = None
    cost_usd: float | None = None
    tokens: dict[str, int] | None = None
    latency_ms: int | None = None
    session_id: str | None = None
    message: str = ""
    verification: Any = None
    events: list[dict[str, Any]] = field(default_factory=list)


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


class RouteLauncher:
    """One object per caller; ``run`` is safe to call from a worker thread (no signal handlers installed)."""

    def __init__(self, log_path: Path | None = None, *, settings: HooksSettings | None = None,
                 state: Any = None, extractor: Any = None, verifier: Verifier | None = None,
                 price_book: Any = None, codex_home_dir: Path | None = None) -> None:
        self.log_path = Path(log_path) if log_path else default_log_path()
        self.settings = settings or HooksSettings.load()
        self.codex_home = codex_home(codex_home_dir)
        self._state = state
        self._extractor = extractor
        self.verifier = verifier or Verifier(self.settings)
        self._prices = price_book
        self._router: Any = None

    @property
    def state(self) -> Any:
        if self._state is None:
            from router.state import RouterState, memory_rebuilder

            self._state = RouterState.load(rebuild_memory=memory_rebuilder([self.log_path]))
        return self._state

    @property
    def extractor(self) -> Any:
        if self._extractor is None:
            from router.features import FeatureExtractor

            self._extractor = FeatureExtractor()
        return self._extractor

    @property
    def prices(self) -> Any:
        if self._prices is None:
            from analytics.prices import PriceBook

            self._prices = PriceBook.load()
        return self._prices

    def price(self, model: str, tokens: dict[str, int] | None) -> float | None:
        return self.prices.cost(model, **tokens) if tokens else None

    def _log(self, result: RouteResult, record: dict[str, Any]) -> None:
        result.events.append(append_event(self.log_path, record))

    def propose(self, task: str, cwd: str | os.PathLike[str] = ".",
                metadata: dict[str, Any] | None = None) -> Proposal:
        """Features and the router's decision, without logging or running anything."""
        workdir = Path(cwd).expanduser().resolve()
        if not workdir.is_dir():
            raise ValueError(f"{cwd}: not a directory")
        self._router = self.state.router()  # a broken router.toml fails before the embedder loads
        features = self.extractor.extract(task, {**(metadata or {}), "cwd": str(workdir)})
        return Proposal(task, workdir, features, self._router.decide(features))

    def run(self, task: str, model: str | None = None, cwd: str | os.PathLike[str] = ".", *,
            dry_run: bool = False, interactive: bool = False, metadata: dict[str, Any] | None = None,
            on_progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
            timeout_s: float | None = None, proposal: Proposal | None = None) -> RouteResult:
        """Route ``task`` (reusing ``proposal`` when the caller already showed one) and log every step."""
        progress = on_progress or (lambda kind, message: None)
        if not dry_run:
            _ = self.prices  # a broken price file must fail before Codex runs, not after
        if proposal is None or proposal.task != task:
            proposal = self.propose(task, cwd, metadata)
        elif self._router is None:
            self._router = self.state.router()
        workdir, features, decision = proposal.cwd, proposal.features, proposal.decision
        task_id = f"r-{uuid.uuid4().hex[:12]}"
        chosen = model or decision.chosen
        manual = model is not None
        version = codex_version.detect()
        profile = existing_profile(self.codex_home, chosen, version.profile_form)
        result = RouteResult(task_id, chosen, "dry_run", 0, "manual" if manual else decision.policy,
                             proposed_model=decision.chosen, decision=decision)
        common = {"task_id": task_id, "task": redact(task), "dimension": features.dimension,
                  "language": features.language, "difficulty": features.difficulty, "cwd": str(workdir)}
        if manual:
            self._log(result, {"event": "override", "task_id": task_id, "model": chosen,
                               "proposed_model": decision.chosen, "router": "manual", "cwd": str(workdir)})
        self._log(result, {"event": "route", **common, "model": chosen, "profile": profile,
                           "router": result.router, "propensity": 1.0 if manual else decision.propensity,
                           "decision": decision.to_log(), "dry_run": dry_run, "interactive": interactive})
        progress("route", f"{chosen} ({'manual override' if manual else decision.summary()})")
        if dry_run:
            result.message = "dry run: codex not started"
            return result
        binary = codex_version.codex_binary()
        if binary is None:
            return self._finish(result, features, common, status="codex_missing", exit_code=EXIT_CODEX_MISSING,
                                message=f"codex not found: set ${codex_version.CODEX_BIN_ENV} or put `codex` on "
                                        "PATH (https://github.com/openai/codex)")
        before = snapshot(workdir)
        if interactive:
            return self._run_interactive(result, features, common, binary, task, workdir, profile, before, progress)
        argv, stdin_text = codex_version.exec_argv(binary, model=chosen, cwd=str(workdir), prompt=task,
                                                   profile=profile, sandbox=self.settings.sandbox)
        started = time.monotonic()
        stream, status, exit_code, message = self._stream(argv, stdin_text, workdir, progress, cancel,
                                                          timeout_s or self.settings.route_timeout_s)
        result.latency_ms = int((time.monotonic() - started) * 1000)
        result.session_id = stream.thread_id
        result.tokens = stream.usage
        changed = sorted({*changed_since(workdir, before),
                          *(Path(p) if Path(p).is_absolute() else workdir / p for p in stream.file_changes)})
        return self._finish(result, features, common, status=status, exit_code=exit_code, message=message,
                            changed=changed, workdir=workdir, task=task, cancel=cancel, progress=progress,
                            extra={"commands": stream.commands, "malformed_lines": stream.malformed,
                                   "errors": stream.errors[:5], "warnings": stream.warnings[:5]})

    def _stream(self, argv: list[str], stdin_text: str | None, workdir: Path, progress: ProgressCallback,
                cancel: threading.Event | None, timeout_s: float) -> tuple[StreamState, str, int, str]:
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

    def _run_interactive(self, result: RouteResult, features: Any, common: dict[str, Any], binary: str, task: str,
                         workdir: Path, profile: str | None, before: dict, progress: ProgressCallback) -> RouteResult:
        """Open the Codex TUI; when it exits, read the Stop-hook turns and the session's rollout, then verify."""
        marker = pending_dir() / f"{result.task_id}.json"
        make_private_dir(marker.parent)
        marker.write_text(json.dumps({"task_id": result.task_id, "cwd": str(workdir), "model": result.model,
                                      "pid": os.getpid()}),
                          encoding="utf-8")
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        started = time.monotonic()
        try:
            returncode = subprocess.call(codex_version.interactive_argv(binary, model=result.model, cwd=str(workdir),
                                                                        prompt=task, profile=profile), cwd=workdir)
        except KeyboardInterrupt:
            returncode = EXIT_INTERRUPTED
        except OSError as exc:  # e.g. E2BIG: the TUI takes its first prompt only as an argument
            marker.unlink(missing_ok=True)
            return self._finish(result, features, common, status="error", exit_code=1,
                                message=f"cannot start the Codex TUI: {exc}")
        finally:
            marker.unlink(missing_ok=True)
        result.latency_ms = int((time.monotonic() - started) * 1000)
        sessions = _tagged_sessions(self.log_path, offset, result.task_id)
        result.session_id = sessions[-1] if sessions else None
        usage, rollout_model = (None, None)
        if result.session_id:
            usage, rollout_model = session_usage(self.codex_home, result.session_id)
        result.tokens = usage
        if rollout_model and rollout_model != result.model:
            progress("route", f"the session ended on {rollout_model}; outcome logged for it")
            result.model = rollout_model
        if not sessions:
            status, message = "error", "no Stop-hook turn arrived (run `codex-router install` and trust the hooks)"
        else:
            status, message = ("ok", "interactive session ended") if returncode == 0 else \
                ("interrupted", f"codex exited with {returncode}")
        return self._finish(result, features, common, status=status, exit_code=returncode, message=message,
                            changed=changed_since(workdir, before), workdir=workdir, task=task, progress=progress,
                            extra={"interactive": True, "sessions": sessions})

    def _finish(self, result: RouteResult, features: Any, common: dict[str, Any], *, status: str, exit_code: int,
                message: str, changed: list[Path] | None = None, workdir: Path | None = None, task: str = "",
                cancel: threading.Event | None = None, progress: ProgressCallback | None = None,
                extra: dict[str, Any] | None = None) -> RouteResult:
        result.status, result.exit_code, result.message = status, exit_code, message
        verifier_log: dict[str, Any] = {"status": status, **(extra or {})}
        if status == "ok" and workdir is not None:
            if progress:
                progress("verify", f"{len(changed or [])} changed file(s)")
            try:
                verification = self.verifier.verify(workdir, changed or [], dimension=features.dimension,
                                                     completed=True, task=task, cancel=cancel, on_progress=progress)
            except Exception as exc:  # noqa: BLE001 - Codex ran: its outcome is logged whatever the verifier does
                status = result.status = "verifier_error"
                message = result.message = f"the verifier failed: {type(exc).__name__}: {exc}"
                verifier_log.update(status=status, error=message)
            else:
                result.verification = verification
                result.score = verification.confidence
                verifier_log.update(verification.to_log())
        elif status in LEARN_FROM:
            result.score = 0.0
            verifier_log.update({"confidence": 0.0, "signals": {"completion": 0.0}})
        result.cost_usd = self.price(result.model, result.tokens)
        outcome = {"event": "outcome", **common, "model": result.model, "router": result.router,
                   "score": result.score, "verifier": verifier_log, "tokens": result.tokens,
                   "cost_usd": result.cost_usd, "latency_ms": result.latency_ms, "exit_code": exit_code,
                   "session_id": result.session_id, "status": status, "message": redact(message, 500)}
        if result.tokens and result.cost_usd is None:
            outcome["unpriced"] = True
        self._log(result, outcome)
        if status in LEARN_FROM and result.score is not None:
            if dataclasses.is_dataclass(features):  # memory keeps the text: store the redacted one
                features = dataclasses.replace(features, text=common["task"])
            self._router.update(features, result.model, result.score, result.cost_usd,
                          trace=verifier_log.get("signals"), task_id=result.task_id)
            self.state.save_learned()
        return result


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


def _tagged_sessions(log_path: Path, offset: int, task_id: str) -> list[str]:
    """Session ids of the `turn` events the Stop hook tagged with ``task_id`` after ``offset``."""
    sessions: list[str] = []
    try:
        with open(log_path, "rb") as handle:
            handle.seek(offset)
            for raw in handle:
                if not raw.endswith(b"\n") or task_id.encode() not in raw:
                    continue
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue
                if event.get("event") == "turn" and event.get("task_id") == task_id and event.get("session_id"):
                    if event["session_id"] not in sessions:
                        sessions.append(event["session_id"])
    except OSError:
        return []
    return sessions


def session_usage(home: Path, session_id: str) -> tuple[dict[str, int] | None, str | None]:
    """Deduplicated tokens and the latest model of one session, read from its rollout (analytics.rollouts)."""
    from analytics.rollouts import parse_rollout, rollout_files

    paths = [p for p in rollout_files(home) if session_id in p.name]
    if not paths:
        return None, None
    session = parse_rollout(paths[0])
    if not session.usage:
        return None, session.model
    totals = [sum(bucket[i] for bucket in session.usage.values()) for i in range(4)]
    return dict(zip(("input", "cached_input", "output", "reasoning"), totals, strict=True)), session.model
