"""Route one task: features -> decision -> `codex exec --json` -> verify -> outcome event -> router update.

`RouteLauncher.run` is what both `codex-router route` and the dashboard call (the dashboard from a worker
thread, with ``on_progress(kind, message)`` and a ``cancel`` event). Codex runs from an argv list, never a
shell, with the task after ``--`` (see ``hooks.codex_version.exec_argv``). Its JSONL stream is read as it
arrives; usage comes from the last ``turn.completed`` (cumulative for the thread, not summed).

Outcome statuses and what the router learns: ``ok`` -> the verifier's confidence; ``turn_failed`` and
``timeout`` -> score 0 (the model did not deliver); ``error`` (stream died, Codex crashed), ``interrupted``,
``codex_missing`` and ``verifier_error`` (Codex finished but checking its work failed) -> logged without a
score and not learned from (not the model's doing).

This module is the use case only; each step's work is a collaborator: the router state and feature extractor
(decide; passed in, else loaded on first use), ``hooks.codex_exec.run_exec`` (exec), ``hooks.verifier``
(verify), ``analytics.logwriter.append_event`` (log), ``ACRouter.update`` + ``RouterState.save_learned``
(learn); ``hooks.codex_session`` reads what an interactive session left behind.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.logwriter import append_event
from analytics.paths import codex_home, default_log_path, make_private_dir
from hooks import codex_version
from hooks.codex_config import existing_profile
from hooks.codex_exec import EXIT_CODEX_MISSING, EXIT_INTERRUPTED, ProgressCallback, run_exec
from hooks.codex_session import session_usage, tagged_sessions
from hooks.pending import pending_dir
from hooks.redact import redact
from hooks.settings import HooksSettings
from hooks.verifier import Verification, Verifier, changed_since, snapshot

if TYPE_CHECKING:  # collaborators the caller passes in; loaded lazily otherwise (torch, DuckDB, prices)
    from analytics.prices import PriceBook
    from router.decision import Decision
    from router.features import FeatureExtractor, TaskFeatures
    from router.policy import ACRouter
    from router.state import RouterState

LEARN_FROM = {"ok", "turn_failed", "timeout"}


@dataclass(frozen=True)
class Proposal:
    """The router's pick before anything runs: what a dashboard shows so the user can accept or override."""

    task: str
    cwd: Path
    features: TaskFeatures
    decision: Decision


@dataclass
class RouteResult:
    task_id: str
    model: str
    status: str  # dry_run | ok | turn_failed | timeout | interrupted | codex_missing | error | verifier_error
    exit_code: int
    router: str
    proposed_model: str | None = None
    decision: Decision | None = None
    score: float | None = None
    cost_usd: float | None = None
    tokens: dict[str, int] | None = None
    latency_ms: int | None = None
    session_id: str | None = None
    message: str = ""
    verification: Verification | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


class RouteLauncher:
    """One object per caller; ``run`` is safe to call from a worker thread (no signal handlers installed)."""

    def __init__(self, log_path: Path | None = None, *, settings: HooksSettings | None = None,
                 state: RouterState | None = None, extractor: FeatureExtractor | None = None,
                 verifier: Verifier | None = None, price_book: PriceBook | None = None,
                 codex_home_dir: Path | None = None) -> None:
        self.log_path = Path(log_path) if log_path else default_log_path()
        self.settings = settings or HooksSettings.load()
        self.codex_home = codex_home(codex_home_dir)
        self._state = state
        self._extractor = extractor
        self.verifier = verifier or Verifier(self.settings)
        self._prices = price_book
        self._router: ACRouter | None = None

    @property
    def state(self) -> RouterState:
        if self._state is None:
            from router.state import RouterState, memory_rebuilder

            self._state = RouterState.load(rebuild_memory=memory_rebuilder([self.log_path]))
        return self._state

    @property
    def extractor(self) -> FeatureExtractor:
        if self._extractor is None:
            from router.features import FeatureExtractor

            self._extractor = FeatureExtractor()
        return self._extractor

    @property
    def prices(self) -> PriceBook:
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
        stream, status, exit_code, message = run_exec(argv, stdin_text, workdir, progress, cancel,
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

    def _run_interactive(self, result: RouteResult, features: TaskFeatures, common: dict[str, Any], binary: str, task: str,
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
        sessions = tagged_sessions(self.log_path, offset, result.task_id)
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

    def _finish(self, result: RouteResult, features: TaskFeatures, common: dict[str, Any], *, status: str, exit_code: int,
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
