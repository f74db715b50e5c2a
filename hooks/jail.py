"""Runs inside fresh user + mount + pid (+ net) namespaces, made by `unshare`, before the command under test.

``python -I hooks/jail.py SPEC_JSON -- ARGV...`` with SPEC ``{"writable": [...], "hidden": [...],
"visible": [...]}``: bind-mounts each writable folder onto itself, puts an empty read-only tmpfs over each
hidden folder (the home directories: keys, cloud credentials, shell history) with only the ``visible`` and
writable folders inside it bound back (the interpreter and toolchains live there on some machines),
remounts every other mount read-only (keeping the flags the kernel locks, or the remount is refused) —
/sys too, so the command cannot leave its cgroup — and makes /proc/sys read-only in the fresh /proc of the
pid namespace, then execs ARGV. Model-written code can then write only to the work dir and its scratch
folders. Standard library only, no project imports: it starts in every sandboxed run.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
_LOCKED = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
           "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
_LEAVE = ("/proc", "/dev")
_PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, flags: int) -> None:
    if _libc.mount(source.encode() if source else None, target.encode(), None, flags, None) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno), target)


def _mounts() -> list[tuple[str, int]]:
    """(mount point, locked flags) from /proc/self/mountinfo, octal escapes decoded."""
    out = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            flags = sum(_LOCKED.get(opt, 0) for opt in fields[5].split(","))
            out.append((point, flags))
    return out


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _hide(hidden: list[str], writable: list[str], visible: list[str]) -> None:
    """An empty tmpfs over each hidden folder (unless the work dir is in it or is it), with the writable and
    visible folders strictly inside it bound back in."""
    for root in hidden:
        if not os.path.isdir(root) or _under(root, writable):
            continue
        inside = [path for path in [*writable, *visible]
                  if path != root and _under(path, [root]) and os.path.isdir(path)]
        fds = [os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for path in inside]
        if _libc.mount(b"tmpfs", root.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=0755,size=1m") != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno), root)
        for path, fd in zip(inside, fds, strict=True):
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, MS_BIND | MS_REC)
            os.close(fd)


def confine(writable: list[str], hidden: list[str] = (), visible: list[str] = ()) -> list[str]:
    """Make everything but ``writable`` read-only and ``hidden`` empty; returns the mount points that could
    not be made read-only."""
    _mount(None, "/", MS_REC | MS_PRIVATE)
    for folder in writable:
        _mount(folder, folder, MS_BIND | MS_REC)
    _hide(list(hidden), writable, list(visible))
    for path in _PROC_READ_ONLY:
        if os.path.exists(path):
            _mount(path, path, MS_BIND | MS_REC)
    failed = []
    for point, flags in sorted(_mounts(), key=lambda item: item[0].count("/")):
        if (_under(point, list(_LEAVE)) and not _under(point, list(_PROC_READ_ONLY))) or _under(point, writable):
            continue
        try:
            _mount(None, point, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError:
            failed.append(point)
    return failed


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    writable, hidden, visible = ([os.path.realpath(p) for p in spec.get(key, [])]
                                 for key in ("writable", "hidden", "visible"))
    command = argv[argv.index("--") + 1:]
    here = os.getcwd()
    failed = confine(writable, hidden, visible)
    os.chdir(here)  # re-enter the work dir through its new (writable) bind mount
    refused = [point for point in failed if point == "/" or _under(point, ["/sys", *_PROC_READ_ONLY])]
    if refused:
        print(f"codex-router jail: cannot make {', '.join(refused)} read-only; refusing to run", file=sys.stderr)
        return 126
    os.execvp(command[0], command)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
