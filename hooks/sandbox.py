"""Run a verification command (a repo's tests) with limits, and record which isolation really applied.

Model-written code runs here, so: a wall-clock limit (new session, whole process group killed on
timeout), RLIMIT_AS / RLIMIT_NPROC / RLIMIT_CPU through `prlimit` (no ``preexec_fn``: the dashboard calls
this from a worker thread, where ``preexec_fn`` can deadlock), no network through an unprivileged user +
network namespace (`unshare --user --net --map-root-user`) or, as root, `unshare --net`, and a scratch
HOME. What works differs per machine, so it is probed once and written into the verifier signals.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTPUT_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 300.0
    memory_mb: int = 4096
    max_processes: int = 512
    cpu_s: int | None = None  # defaults to the wall-clock limit
    network: bool = False


@dataclass
class SandboxResult:
    argv: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    isolation: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=5, stdin=subprocess.DEVNULL).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.cache
def network_isolation() -> tuple[str, list[str]]:
    """The best way to cut the network on this machine: (name, argv prefix); ("none", []) if nothing works."""
    unshare = shutil.which("unshare")
    if unshare:
        userns = [unshare, "--user", "--net", "--map-root-user", "--"]
        if _works([*userns, "true"]):
            return "unshare-user-net", userns
        netns = [unshare, "--net", "--"]
        if _works([*netns, "true"]):
            return "unshare-net", netns
    return "none", []


@functools.cache
def rlimit_prefix_tool() -> str | None:
    prlimit = shutil.which("prlimit")
    return prlimit if prlimit and _works([prlimit, "--nofile=1024", "--", "true"]) else None


def build_argv(argv: list[str], limits: Limits) -> tuple[list[str], dict[str, Any]]:
    """Wrap ``argv`` in the isolation that works here; returns the full argv and what it applies."""
    isolation: dict[str, Any] = {"process_group": True, "scratch_home": True, "timeout_s": limits.timeout_s}
    prefix: list[str] = []
    prlimit = rlimit_prefix_tool()
    cpu = limits.cpu_s or max(int(limits.timeout_s), 1)
    if prlimit:
        prefix += [prlimit, f"--as={limits.memory_mb * 1024 * 1024}", f"--nproc={limits.max_processes}",
                   f"--cpu={cpu}", "--"]
        isolation["rlimits"] = {"as_mb": limits.memory_mb, "nproc": limits.max_processes, "cpu_s": cpu,
                                "nproc_enforced": os.geteuid() != 0}
    else:
        isolation["rlimits"] = None
    if limits.network:
        isolation["network"] = "allowed"
    else:
        name, net_prefix = network_isolation()
        isolation["network"] = name
        prefix = net_prefix + prefix
    return prefix + argv, isolation


def _reader(stream, sink: list[bytes]) -> None:
    size = 0
    for chunk in iter(lambda: stream.read(8192), b""):
        if size < OUTPUT_LIMIT:
            sink.append(chunk[: OUTPUT_LIMIT - size])
            size += len(chunk)
    stream.close()


def run_limited(argv: list[str], cwd: str | os.PathLike[str], limits: Limits,
                env: dict[str, str] | None = None, cancel: threading.Event | None = None) -> SandboxResult:
    """Run ``argv`` (never through a shell) in ``cwd`` under ``limits``; output kept to its last 64 KiB."""
    full, isolation = build_argv(argv, limits)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="codex-router-home-") as home:
        run_env = {k: v for k, v in (env or os.environ).items()
                   if not k.endswith(("_API_KEY", "_TOKEN", "_SECRET"))}
        run_env.update(HOME=home, XDG_CACHE_HOME=str(Path(home) / ".cache"), PYTHONDONTWRITEBYTECODE="1")
        try:
            proc = subprocess.Popen(full, cwd=cwd, env=run_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            return SandboxResult(argv, None, "", "", False, 0.0, isolation, error=f"cannot start {argv[0]}: {exc}")
        out: list[bytes] = []
        err: list[bytes] = []
        readers = [threading.Thread(target=_reader, args=(proc.stdout, out), daemon=True),
                   threading.Thread(target=_reader, args=(proc.stderr, err), daemon=True)]
        for thread in readers:
            thread.start()
        timed_out = cancelled = False
        deadline = started + limits.timeout_s
        while proc.poll() is None:
            if time.monotonic() > deadline:
                timed_out = True
            elif cancel is not None and cancel.is_set():
                cancelled = True
            else:
                try:
                    proc.wait(timeout=0.1)
                except subprocess.TimeoutExpired:
                    pass
                continue
            _kill_group(proc)
            break
        proc.wait()
        for thread in readers:
            thread.join(timeout=5)
    return SandboxResult(argv, proc.returncode, b"".join(out).decode("utf-8", "replace"),
                         b"".join(err).decode("utf-8", "replace"), timed_out, time.monotonic() - started,
                         isolation, error="cancelled" if cancelled else None)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM the whole process group, then SIGKILL what is left after a grace second."""
    for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
