"""Markers `route --interactive` leaves for the Stop hook, so a Codex session is tied to its routed task.

Why its own module: both the launcher (writes a marker) and the hook command (reads it) need the folder;
the launcher must not import a command module, and the hook keeps to the standard library.
"""

from __future__ import annotations

from pathlib import Path

PENDING_DIRNAME = "pending_routes"


def pending_dir() -> Path:
    """Where `route --interactive` leaves a marker the Stop hook uses to tie a Codex session to a task."""
    from analytics.paths import data_dir

    return data_dir() / PENDING_DIRNAME
