"""The one function every component uses to append to the routing log.

Several processes append at once (Codex starts matching hooks concurrently), so each record goes out as a
single ``write()`` of the whole line on an ``O_APPEND`` descriptor; POSIX makes such appends atomic with
respect to each other for regular files on local filesystems. An advisory ``flock`` is held as well, for
filesystems where large appends could otherwise interleave; it is waited for at most LOCK_WAIT_S, so a
process that holds it and hangs cannot hang every hook (the single ``O_APPEND`` write then goes out
without it). The file is opened non-blocking and must be a regular file: a FIFO or device where the log
should be is refused at once instead of blocking the writer.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import time
from pathlib import Path
from typing import Any

from analytics.paths import make_private_dir
from analytics.schema import SchemaError, normalize, stamp

FILE_MODE = 0o600
LOCK_WAIT_S = 0.25


def encode_line(record: dict[str, Any]) -> bytes:
    """One compact JSON object and a newline; non-ASCII kept as UTF-8, never a raw newline inside. NaN and
    infinities are refused (SchemaError): they are not JSON, and a reader would count the line malformed."""
    try:
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False)
    except ValueError as exc:
        raise SchemaError(f"not written: {exc} (NaN and Infinity are not JSON)") from exc
    return (text + "\n").encode("utf-8")


def append_event(path: str | os.PathLike[str], record: dict[str, Any]) -> dict[str, Any]:
    """Stamp ``record`` (schema version, timestamp), check it as a reader would (``normalize``: a record the
    log would count as malformed is refused with SchemaError, nothing written) and append it to ``path``;
    returns what was written."""
    stamped = stamp(record)
    normalize(stamped)
    data = encode_line(stamped)
    target = Path(path)
    make_private_dir(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK, FILE_MODE)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{target}: not a regular file")
        _lock(fd)
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"short write to {target}: {written} of {len(data)} bytes")
    finally:
        os.close(fd)
    return stamped


def _lock(fd: int) -> None:
    """Take the advisory lock if it comes within LOCK_WAIT_S; otherwise go on without it."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.005)
