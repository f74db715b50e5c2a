"""Exec a command that may write only beneath the given folders (Linux Landlock), everything else read-only.

Used by ``hooks.sandbox`` as the last wrapper before model-written code runs: its tests may write in their
work dir and a scratch dir, not in the user's home or anywhere else. Landlock needs no privileges and also
binds root. Standard library only and run as a script (``python -I -S landlock_exec.py``), so it starts fast.

Usage: landlock_exec.py --write DIR [--write DIR ...] -- PROGRAM [ARGS...]
Exit 126 (with one line on stderr) when Landlock is not available: the caller probes this once.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # same numbers on every architecture
_RULE_PATH_BENEATH = 1
_CREATE_RULESET_VERSION = 1
_PR_SET_NO_NEW_PRIVS = 38

# Every right that changes the file system (Landlock ABI v1 bits 1, 4-12; REFER v2; TRUNCATE v3).
_WRITE_V1 = (1 << 1) | sum(1 << bit for bit in range(4, 13))
_REFER, _TRUNCATE = 1 << 13, 1 << 14


def _fail(message: str) -> None:
    sys.stderr.write(f"landlock_exec: {message}\n")
    sys.exit(126)


def restrict_writes(writable: list[str]) -> None:
    """Allow writes only beneath ``writable`` for this process and everything it starts."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    if abi < 1:
        _fail(f"Landlock is not available ({os.strerror(ctypes.get_errno())})")
    handled = _WRITE_V1 | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    attr = ctypes.create_string_buffer(struct.pack("=Q", handled))
    ruleset = libc.syscall(_CREATE_RULESET, attr, ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        _fail(f"cannot create a ruleset ({os.strerror(ctypes.get_errno())})")
    for folder in writable:
        fd = os.open(folder, os.O_PATH | os.O_CLOEXEC)
        rule = ctypes.create_string_buffer(struct.pack("=Qi", handled, fd))
        if libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), rule,
                        ctypes.c_uint32(0)) != 0:
            _fail(f"cannot allow writes beneath {folder} ({os.strerror(ctypes.get_errno())})")
        os.close(fd)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        _fail(f"cannot set no_new_privs ({os.strerror(ctypes.get_errno())})")
    if libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
        _fail(f"cannot restrict this process ({os.strerror(ctypes.get_errno())})")
    os.close(ruleset)


def main(argv: list[str]) -> None:
    writable: list[str] = []
    while argv and argv[0] == "--write" and len(argv) > 1:
        writable.append(argv[1])
        argv = argv[2:]
    if not argv or argv[0] != "--" or len(argv) < 2:
        _fail("usage: landlock_exec.py --write DIR [--write DIR ...] -- PROGRAM [ARGS...]")
    restrict_writes(writable)
    try:
        os.execvp(argv[1], argv[1:])
    except OSError as exc:
        sys.stderr.write(f"landlock_exec: cannot run {argv[1]}: {exc.strerror}\n")
        sys.exit(127)


if __name__ == "__main__":
    main(sys.argv[1:])
