"""Where things live: Codex home, the routing log, and our own config/data dirs (platformdirs)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import platformdirs

APP_NAME = "codex-router-tui"
LOG_FILENAME = "routing_log.jsonl"
ERROR_LOG_FILENAME = "routing_log.errors.log"


def codex_home(override: str | os.PathLike[str] | None = None) -> Path:
    """`--codex-home`, else `$CODEX_HOME`, else `~/.codex` (as Codex itself resolves it)."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("CODEX_HOME")
    return Path(env).expanduser() if env else Path.home() / ".codex"


def default_log_path(codex_home_dir: str | os.PathLike[str] | None = None) -> Path:
    return codex_home(codex_home_dir) / LOG_FILENAME


def error_log_path(log_path: str | os.PathLike[str]) -> Path:
    """Hooks never write to stdout; their problems go to a file beside the routing log."""
    return Path(log_path).with_name(ERROR_LOG_FILENAME)


def config_dir() -> Path:
    """User config (price overrides, router settings and priors). `CODEX_ROUTER_CONFIG_DIR` wins (tests)."""
    env = os.environ.get("CODEX_ROUTER_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Derived data (DuckDB file, memory store). `CODEX_ROUTER_DATA_DIR` wins (tests)."""
    env = os.environ.get("CODEX_ROUTER_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME))


PRIVATE_DIR_MODE = 0o700


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and any missing parents 0700 (logs, config and state are the user's alone); folders
    that already exist keep their mode: they are not ours to change."""
    target = Path(path)
    missing = []
    folder = target
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask
    return target


def default_db_path(logs: Iterable[str | os.PathLike[str]] | None = None,
                    codex_home_dir: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB cache of these logs and this Codex home: one file per set, so a cache never answers with
    another log's runs (``report --log sample_logs/...`` then a dashboard on your own log). Without ``logs``
    the generic ``routing.duckdb``."""
    if logs is None:
        return data_dir() / "routing.duckdb"
    import hashlib  # here, not at the top: the hooks import this module and must start fast

    key = "\n".join([*sorted(str(Path(p).expanduser().absolute()) for p in logs),
                     str(codex_home(codex_home_dir).absolute())])
    return data_dir() / "caches" / f"routing-{hashlib.sha256(key.encode()).hexdigest()[:16]}.duckdb"


def is_default_db(path: str | os.PathLike[str]) -> bool:
    """Is ``path`` a cache file we name ourselves (ours by its place, even when too damaged to say so)?"""
    place = Path(path).absolute()
    return place == default_db_path().absolute() or (
        place.parent == (data_dir() / "caches").absolute() and place.name.startswith("routing-")
        and place.suffix == ".duckdb")


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def sample_log_dir() -> Path:
    return repo_root() / "sample_logs"
