"""Safe edits of the user's Codex files: atomic replace (0600), one backup before our first change, diffs."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path

BACKUP_SUFFIX = ".codex-router.bak"


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a temp file in the same folder, fsync, then ``os.replace``: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup_once(path: Path) -> Path | None:
    """Copy ``path`` to ``path + BACKUP_SUFFIX`` unless that backup exists (it keeps the pre-us original)."""
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if path.exists() and not backup.exists():
        shutil.copy2(path, backup)
        return backup
    return None


def unified_diff(path: Path, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"{path} (current)", tofile=f"{path} (new)"))
