"""What an interactive Codex session left behind: the Stop-hook turns tagged with a routed task, and the
session's token usage and model read from its rollout.

Why its own module: ``route --interactive`` ties a Codex TUI session to its task after the fact; the
launcher only asks for the session ids and their usage.
"""

from __future__ import annotations

import json
from pathlib import Path


def tagged_sessions(log_path: Path, offset: int, task_id: str) -> list[str]:
    """Session ids of the `turn` events the Stop hook tagged with ``task_id`` after ``offset``."""
    sessions: list[str] = []
    try:
        with open(log_path, "rb") as handle:
            handle.seek(offset)
            for raw in handle:
                if not raw.endswith(b"\n") or task_id.encode() not in raw:
                    continue
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue
                if event.get("event") == "turn" and event.get("task_id") == task_id and event.get("session_id"):
                    if event["session_id"] not in sessions:
                        sessions.append(event["session_id"])
    except OSError:
        return []
    return sessions


def session_usage(home: Path, session_id: str) -> tuple[dict[str, int] | None, str | None]:
    """Deduplicated tokens and the latest model of one session, read from its rollout (analytics.rollout_sessions)."""
    from analytics.rollout_lines import rollout_files
    from analytics.rollout_sessions import parse_rollout

    paths = [p for p in rollout_files(home) if session_id in p.name]
    if not paths:
        return None, None
    session = parse_rollout(paths[0])
    if not session.usage:
        return None, session.model
    totals = [sum(bucket[i] for bucket in session.usage.values()) for i in range(4)]
    return dict(zip(("input", "cached_input", "output", "reasoning"), totals, strict=True)), session.model
