"""Replace a file atomically: readers (and a crash half-way) see the old content or the new, never a mix.

One implementation for every writer of state and config (router.toml, the memory file, Codex's hooks.json
and profiles, the sample log): a temp file in the same folder, fsync, chmod, then ``os.replace``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from analytics.paths import make_private_dir

PRIVATE_MODE = 0o600


def atomic_write(path: str | os.PathLike[str], content: bytes | str | Callable[[BinaryIO], None],
                 mode: int = PRIVATE_MODE) -> Path:
    """Write ``content`` (bytes, UTF-8 text, or a function that writes to the open binary file) to ``path``."""
    target = Path(path)
    make_private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
