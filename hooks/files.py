"""Safe edits of the user's Codex files: one backup before our first change, and diffs for --dry-run."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

BACKUP_SUFFIX = ".codex-router.bak"


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
