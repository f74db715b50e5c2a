"""Where a task sits in the priors table: its context, a path of (key, value) levels from coarse to fine.

Why its own module: the policy, what-if, the TUI and the log's learned outcomes all name contexts the same
way, without needing the table or its shrinkage. The root ``()`` is every task, then ``("dimension", d)``,
then the metadata keys in ``RouterSettings.prior_keys`` (the task's source benchmark, its repo) when present.
Language and difficulty get their own paths under that context; they feed the policy's *metadata* vote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ContextPath = tuple[tuple[str, str], ...]
METADATA_KEYS = ("language", "difficulty")


def context_path(dimension: str | None, metadata: Mapping[str, Any] | None, keys: Sequence[str]) -> ContextPath:
    """The nested levels for a task: dimension, then each prior key present in its metadata, in order."""
    path: list[tuple[str, str]] = []
    if dimension:
        path.append(("dimension", str(dimension)))
    for key in keys:
        value = (metadata or {}).get(key)
        if value is not None and value != "":
            path.append((key, str(value)))
    return tuple(path)


def metadata_paths(dimension: str | None, metadata: Mapping[str, Any] | None,
                   keys: Sequence[str] = ()) -> list[ContextPath]:
    """One path per known language/difficulty, under the task's context (dimension, then ``keys``).

    Under the full context, so "python tasks" of one benchmark never outvote that benchmark's own record
    with another benchmark's python tasks.
    """
    base = context_path(dimension, metadata, keys)
    return [(*base, (key, str(value))) for key in METADATA_KEYS
            if (value := (metadata or {}).get(key)) not in (None, "")]


def source_from_task_id(task_id: str) -> str | None:
    """CodeRouterBench ids look like ``dim<k>_<source>_<id>``; the middle part names the source benchmark."""
    parts = str(task_id).split("_", 2)
    if len(parts) == 3 and parts[0].startswith("dim") and parts[0][3:].isdigit():
        return parts[1]
    return None


def format_path(path: ContextPath) -> str:
    return "/".join(f"{k}={v}" for k, v in path) or "(all tasks)"
