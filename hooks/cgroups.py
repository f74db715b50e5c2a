"""Per-run pids cgroups: RLIMIT_NPROC does not bind root, so a verification run as root gets its own cgroup
with ``pids.max`` (joined by ``hooks.cgroup_join`` before anything can fork), frozen and emptied when it ends.

Why its own module: finding a writable pids hierarchy and making, freezing and removing a cgroup is apart
from building the sandboxed command line and running it (``hooks.sandbox``).
"""

from __future__ import annotations

import errno
import functools
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path


def command_works(argv: list[str]) -> bool:
    """Does this probe command run and succeed (within 5 s)? What isolation works differs per machine."""
    try:
        return subprocess.run(argv, capture_output=True, timeout=5, stdin=subprocess.DEVNULL).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False

CGROUP_JOIN = Path(__file__).with_name("cgroup_join.py")
CGROUP_PREFIX = "codex-router-"
CGROUP_RELEASE_S = 10.0


def _pids_hierarchies() -> list[Path]:
    """Mount points of cgroup hierarchies with the pids controller: v1 ``pids`` option, or v2 listing it."""
    try:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    found = []
    for line in mounts:
        parts = line.split()
        if len(parts) < 4:
            continue
        point, fstype, options = Path(parts[1]), parts[2], parts[3].split(",")
        if fstype == "cgroup" and "pids" in options:
            found.append(point)
        elif fstype == "cgroup2":
            try:
                if "pids" in (point / "cgroup.controllers").read_text(encoding="utf-8").split():
                    found.append(point)
            except OSError:
                continue
    return found


def _own_cgroup(mount: Path) -> Path:
    """This process's cgroup inside ``mount`` (from /proc/self/cgroup), so run cgroups nest under it."""
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="utf-8").splitlines()
    except OSError:
        return mount
    v1 = not (mount / "cgroup.controllers").exists()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (v1 and "pids" in controllers.split(",")) or (not v1 and controllers == ""):
            own = mount / path.lstrip("/")
            return own if own.is_dir() else mount
    return mount


def make_pids_cgroup(parent: Path, max_processes: int) -> Path:
    """A fresh ``codex-router-<uuid>`` cgroup under ``parent`` with ``pids.max`` set; removed again on error."""
    path = parent / f"{CGROUP_PREFIX}{uuid.uuid4().hex}"
    path.mkdir()
    try:
        (path / "pids.max").write_text(str(max_processes), encoding="ascii")
    except OSError:
        release_cgroup(path)
        raise
    return path


def release_cgroup(path: Path, within_s: float = CGROUP_RELEASE_S) -> int:
    """Stop forks, SIGKILL whatever is left in the cgroup until it is empty, then remove it; how many were
    killed. A process dying may still be listed in ``cgroup.procs`` for a moment, hence the loop; raises
    OSError when the cgroup cannot be emptied and removed within ``within_s``.
    """
    _freeze(path)
    killed: set[int] = set()
    deadline = time.monotonic() + within_s
    while True:
        try:
            pids = {int(pid) for pid in (path / "cgroup.procs").read_text(encoding="ascii").split()}
        except FileNotFoundError:
            return len(killed)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        if not pids:
            try:
                path.rmdir()
                return len(killed)
            except FileNotFoundError:
                return len(killed)
            except OSError as exc:
                if exc.errno != errno.EBUSY:
                    raise
        if time.monotonic() > deadline:
            raise OSError(errno.EBUSY, f"cgroup not empty after {within_s:.0f} s", str(path))
        time.sleep(0.02)


def _freeze(path: Path) -> None:
    """Nothing in the cgroup can fork any more (``pids.max`` 0, so the kill loop below cannot be outrun), and
    on cgroup v2 the kernel kills every member at once (``cgroup.kill``)."""
    for name, value in (("pids.max", "0"), ("cgroup.kill", "1")):
        try:
            (path / name).write_text(value, encoding="ascii")
        except OSError:
            continue  # cgroup.kill is v2 only; a cgroup already gone needs neither


@functools.cache
def pids_cgroup_parent() -> tuple[Path | None, str]:
    """Where per-run pids cgroups can be made, probed once: (parent, "") or (None, why not)."""
    if os.geteuid() != 0:
        return None, "not root (RLIMIT_NPROC binds)"
    mounts = _pids_hierarchies()
    if not mounts:
        return None, "no cgroup hierarchy with the pids controller is mounted"
    reasons = []
    for mount in mounts:
        parent = _own_cgroup(mount)
        try:
            probe = make_pids_cgroup(parent, 8)
        except OSError as exc:
            reasons.append(f"{parent}: cannot create a cgroup with pids.max ({exc})")
            continue
        try:
            joined = command_works([sys.executable, "-I", str(CGROUP_JOIN), str(probe), "--", "true"])
        finally:
            release_cgroup(probe)
        if joined:
            return parent, ""
        reasons.append(f"{parent}: a process cannot join a new cgroup")
    return None, "; ".join(reasons)
