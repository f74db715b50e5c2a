"""Run a verification command (a repo's tests) with limits, and record which isolation really applied.

Model-written code runs here, so: a wall-clock limit (new session, whole process group killed on
timeout), RLIMIT_AS / RLIMIT_NPROC / RLIMIT_CPU through `prlimit` (no ``preexec_fn``: the dashboard calls
this from a worker thread, where ``preexec_fn`` can deadlock), no network (a network namespace), a
scratch HOME and an allowlist environment (``ENV_ALLOWLIST``: our credentials never reach test code).
RLIMIT_NPROC does not bind root, so as root, where a writable pids cgroup exists, each run gets its own
cgroup with ``pids.max`` (joined by ``hooks.cgroup_join`` before anything can fork); when the run ends the
cgroup can no longer fork (``pids.max`` 0; ``cgroup.kill`` on v2), everything in it is killed and it is
removed. Where unprivileged namespaces work, the command runs in new user + mount + pid (+ net)
namespaces (`unshare`, then ``hooks.jail``): everything but the work dir and scratch folders is
read-only, /sys and /proc/sys included (so it cannot move itself out of its cgroup), the home directories
are empty, it sees only its own processes, and whatever it leaves behind dies with it. Every run also
carries a marker in its environment; when it ends, any process still holding the marker is killed (the
fallback without a pid namespace). What works differs per machine, so it is probed once and written into
the verifier signals.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hooks.cgroups import CGROUP_JOIN, command_works, make_pids_cgroup, pids_cgroup_parent, release_cgroup

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


JAIL = Path(__file__).with_name("jail.py")
# A pid namespace: the command sees only its own processes (not the environment of ours in /proc), and
# when it exits the kernel kills everything it left behind, daemons that called setsid included.
_NAMESPACES = ["--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
MARKER_ENV = "CODEX_ROUTER_SANDBOX"
HOME_ROOTS = ("/root", "/home")
# What the command under test gets of our environment: locale, PATH and test-runner/toolchain settings.
# Nothing else: credentials (AWS_SECRET_ACCESS_KEY, PGPASSWORD, ...) have no reason to reach test code.
ENV_ALLOWLIST = {"PATH", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "SHELL", "VIRTUAL_ENV",
                 "PYTHONPATH", "PYTHONHASHSEED", "NODE_ENV", "NODE_OPTIONS", "NODE_PATH", "GOPATH", "GOROOT",
                 "GOFLAGS", "GOCACHE", "GOMODCACHE", "GOTOOLCHAIN", "CARGO_HOME", "RUSTUP_HOME",
                 "RUSTUP_TOOLCHAIN", "CI"}
ENV_ALLOWED_PREFIXES = ("LC_", "PYTEST_")


def sandbox_env(env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The allowlisted part of ``env`` (``ENV_ALLOWLIST``, ``ENV_ALLOWED_PREFIXES``)."""
    return {k: v for k, v in env.items() if k in ENV_ALLOWLIST or k.startswith(ENV_ALLOWED_PREFIXES)}


def hidden_roots() -> list[str]:
    """The home directories the jail empties: /root, /home and this user's home wherever it is."""
    return sorted({*HOME_ROOTS, os.path.expanduser("~")} - {"/", "~"})


def visible_paths(argv: list[str], env: dict[str, str]) -> list[str]:
    """Folders inside a hidden home the command needs to start: this interpreter's installation, the
    command's own (``bin/..`` of its real path) and the PATH folders (pyenv and cargo live in ~ here)."""
    found = {sys.prefix, sys.base_prefix, *env.get("PATH", "").split(os.pathsep)}
    program = shutil.which(argv[0], path=env.get("PATH")) if argv else None
    if program:
        found.add(str(Path(os.path.realpath(program)).parent.parent))
    return sorted(os.path.realpath(p) for p in found if p and os.path.isabs(p))


def _jail_prefix(unshare: str, network: bool, writable: list[str], visible: list[str] = ()) -> list[str]:
    spec = {"writable": writable, "hidden": hidden_roots(), "visible": list(visible)}
    return [unshare, *_NAMESPACES, *([] if network else ["--net"]), "--", sys.executable, "-I", str(JAIL),
            json.dumps(spec), "--"]


@functools.cache
def jail_works() -> bool:
    """Whether user + mount (+ net) namespaces work here and really keep writes inside the work dir."""
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    with tempfile.TemporaryDirectory(prefix="codex-router-probe-") as tmp:
        inside, outside = Path(tmp, "in"), Path(tmp, "out")
        inside.mkdir()
        outside.mkdir()
        code = ("import sys\nopen(sys.argv[1], 'w').close()\ntry:\n    open(sys.argv[2], 'w').close()\n"
                "except OSError:\n    sys.exit(0)\nsys.exit(3)\n")
        probe = [*_jail_prefix(unshare, False, [str(inside)], visible_paths([sys.executable], dict(os.environ))),
                 sys.executable, "-c", code, str(inside / "f"), str(outside / "f")]
        return command_works(probe) and (inside / "f").exists() and not (outside / "f").exists()


@functools.cache
def network_isolation() -> tuple[str, list[str]]:
    """Without the jail: the best way to cut the network alone, as (name, argv prefix); ("none", [])."""
    unshare = shutil.which("unshare")
    if unshare:
        userns = [unshare, "--user", "--net", "--map-root-user", "--"]
        if command_works([*userns, "true"]):
            return "unshare-user-net", userns
        netns = [unshare, "--net", "--"]
        if command_works([*netns, "true"]):
            return "unshare-net", netns
    return "none", []


@functools.cache
def rlimit_prefix_tool() -> str | None:
    prlimit = shutil.which("prlimit")
    return prlimit if prlimit and command_works([prlimit, "--nofile=1024", "--", "true"]) else None


def build_argv(argv: list[str], limits: Limits, writable: list[str],
               env: dict[str, str] | None = None) -> tuple[list[str], dict[str, Any]]:
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
    if jail_works():
        isolation.update(namespaces="user,mount,pid" + ("" if limits.network else ",net"),
                         filesystem="read-only outside the work dir; /sys, /proc/sys read-only",
                         home_dirs=f"hidden ({', '.join(hidden_roots())})",
                         network="allowed" if limits.network else "none (network namespace)")
        visible = visible_paths(argv, env if env is not None else dict(os.environ))
        return prefix + _jail_prefix(shutil.which("unshare") or "unshare", limits.network, writable, visible) \
            + argv, isolation
    isolation["filesystem"] = "unrestricted"
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
                env: dict[str, str] | None = None, cancel: threading.Event | None = None,
                writable: list[str | os.PathLike[str]] = ()) -> SandboxResult:
    """Run ``argv`` (never through a shell) in ``cwd`` under ``limits``; output kept to its last 64 KiB.

    Only ``cwd``, a scratch HOME/TMPDIR and ``writable`` stay writable when the jail works here.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="codex-router-home-") as home:
        tmp = Path(home) / "tmp"
        tmp.mkdir()
        run_env = sandbox_env(env or os.environ)
        full, isolation = build_argv(argv, limits, [str(cwd), home, *map(str, writable)], run_env)
        isolation["environment"] = "allowlist"
        marker = uuid.uuid4().hex
        run_env.update(HOME=home, TMPDIR=str(tmp), XDG_CACHE_HOME=str(Path(home) / ".cache"),
                       PYTHONDONTWRITEBYTECODE="1", **{MARKER_ENV: marker})
        cgroup = None
        parent, why = pids_cgroup_parent()
        if parent is not None:
            try:
                cgroup = make_pids_cgroup(parent, limits.max_processes)
            except OSError as exc:
                why = f"cannot create a cgroup under {parent}: {exc}"
        isolation["pids_cgroup"] = str(cgroup) if cgroup else None
        if cgroup is None:
            isolation["pids_cgroup_unavailable"] = why
        else:
            full = [sys.executable, "-I", str(CGROUP_JOIN), str(cgroup), "--", *full]
            if isolation["rlimits"] is not None:
                isolation["rlimits"]["nproc_enforced"] = True
        try:
            return _run(argv, full, cwd, run_env, limits, cancel, started, isolation, marker, cgroup)
        finally:
            if cgroup is not None:
                _release_into(cgroup, isolation)


def _release_into(cgroup: Path, isolation: dict[str, Any]) -> int:
    """Release the run's cgroup; how many it killed, or 0 with the reason it is still there in the signals."""
    try:
        return release_cgroup(cgroup)
    except OSError as exc:
        isolation["pids_cgroup_error"] = str(exc)
        return 0


def _run(argv: list[str], full: list[str], cwd: str | os.PathLike[str], run_env: dict[str, str],
         limits: Limits, cancel: threading.Event | None, started: float, isolation: dict[str, Any],
         marker: str, cgroup: Path | None) -> SandboxResult:
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
    # Whatever is still alive now outlived the command: first the cgroup's members (before the readers
    # are joined, a forked child may still hold the pipes), then anything else carrying the marker.
    stray = _release_into(cgroup, isolation) if cgroup is not None else 0
    isolation["stray_processes_killed"] = stray + sweep(marker)
    for thread in readers:
        thread.join(timeout=5)
    return SandboxResult(argv, proc.returncode, b"".join(out).decode("utf-8", "replace"),
                         b"".join(err).decode("utf-8", "replace"), timed_out, time.monotonic() - started,
                         isolation, error="cancelled" if cancelled else None)


def sweep(marker: str) -> int:
    """SIGKILL every process whose environment carries this run's marker; how many were found."""
    if not os.path.isdir("/proc"):
        return 0
    needle = f"{MARKER_ENV}={marker}".encode()
    killed = 0
    for _ in range(3):  # a dying parent may fork once more; a few passes catch the stragglers
        found = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as handle:
                    if needle not in handle.read().split(b"\0"):
                        continue
                os.kill(int(entry.name), signal.SIGKILL)
                found += 1
            except (OSError, ValueError):
                continue
        killed += found
        if not found:
            break
    return killed


def stop_group(proc: subprocess.Popen, steps: tuple[tuple[int, float], ...]) -> None:
    """Signal the whole process group step by step, each with its grace period, until the leader has exited."""
    for sig, grace in steps:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM the whole process group, then SIGKILL what is left after a grace second."""
    stop_group(proc, ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)))
