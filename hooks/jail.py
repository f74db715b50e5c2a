"""Runs inside fresh user + mount (+ pid, + net) namespaces, made by `unshare`, before the command under test.

``python -m hooks.jail WRITABLE_JSON -- ARGV...``: bind-mounts each writable folder onto itself, remounts
every other mount read-only (keeping the flags the kernel locks, or the remount is refused), then execs
ARGV. Model-written code can then write only to the work dir and its scratch folders; /proc, /sys and
/dev are left alone (a new /proc comes with the pid namespace). Standard library only, no project imports:
it starts in every sandboxed run.
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
_LEAVE = ("/proc", "/sys", "/dev")

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


def confine(writable: list[str]) -> list[str]:
    """Make everything but ``writable`` read-only; returns the mount points that could not be remounted."""
    _mount(None, "/", MS_REC | MS_PRIVATE)
    for folder in writable:
        _mount(folder, folder, MS_BIND | MS_REC)
    failed = []
    for point, flags in sorted(_mounts(), key=lambda item: item[0].count("/")):
        if _under(point, list(_LEAVE)) or _under(point, writable):
            continue
        try:
            _mount(None, point, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError:
            failed.append(point)
    return failed


def main(argv: list[str]) -> int:
    writable = [os.path.realpath(p) for p in json.loads(argv[0])]
    command = argv[argv.index("--") + 1:]
    here = os.getcwd()
    failed = confine(writable)
    os.chdir(here)  # re-enter the work dir through its new (writable) bind mount
    if "/" in failed:
        print("codex-router jail: cannot make / read-only; refusing to run", file=sys.stderr)
        return 126
    os.execvp(command[0], command)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
