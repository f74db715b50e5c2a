"""Where one dashboard run reads and writes: the followed logs, its DuckDB cache, the log launches append to,
and the router state's folders (a demo keeps every one of them in a temporary folder)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from analytics import paths


@dataclass
class SessionPaths:
    """Where this run reads and writes; demo mode keeps every write in a temporary folder.

    ``config_dir`` / ``data_dir`` hold the router's state (router.toml, memory); None is the user's own.
    """

    logs: list[Path]
    db: Path
    write_log: Path
    demo: bool = False
    reason: str = ""  # why demo mode (shown in the header)
    scratch: Path | None = None
    config_dir: Path | None = None
    data_dir: Path | None = None


def resolve_paths(logs: list[Path] | None, codex_home: str | None, db: Path | None, demo: bool) -> SessionPaths:
    """Demo mode — asked for, or no log exists yet — reads sample_logs/ and writes to a temp DB, log and router
    state (never to sample_logs/, your config or your database)."""
    chosen = [Path(p).expanduser() for p in logs] if logs else [paths.default_log_path(codex_home)]
    reason = ""
    if not demo and not logs and not chosen[0].exists():
        demo, reason = True, f"no log at {chosen[0]} yet"
    if demo:
        scratch = Path(tempfile.mkdtemp(prefix="codex-router-tui-demo-"))
        samples = sorted(paths.sample_log_dir().glob("*.jsonl"))
        write_log = scratch / paths.LOG_FILENAME
        return SessionPaths(logs=[*samples, write_log], db=scratch / "demo.duckdb", write_log=write_log,
                            demo=True, reason=reason or "--demo", scratch=scratch,
                            config_dir=scratch / "config", data_dir=scratch / "data")
    return SessionPaths(logs=chosen, db=Path(db).expanduser() if db else paths.default_db_path(chosen, codex_home),
                        write_log=chosen[0])
