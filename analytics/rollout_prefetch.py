"""Parsing many rollout files at once: on every core when there is enough to read, and ahead of need.

Workers are forks when this process runs a single thread (``report`` starts them before DuckDB is loaded:
they start at once, with the parser imported); otherwise fresh interpreters (``spawn``, never a fork of a
process holding DuckDB's or Textual's threads) that import this module to find ``_parse_batch``, so it must
stay light: it pulls in the state machine and msgspec, never DuckDB or Polars.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import msgspec

from analytics.rollout_lines import rollout_entries
from analytics.rollout_sessions import Session, parse_rollout

PARALLEL_BYTES = 32 * 1024 * 1024  # below this, starting worker processes costs more than it saves
_BATCH_BYTES = 8 * 1024 * 1024  # files handed to a worker at once
# session_usage's columns as they are sent to DuckDB: a TIMESTAMP travels as microseconds since the epoch (UTC)
USAGE_COLUMNS = {"session_id": "VARCHAR", "model": "VARCHAR", "ts": "TIMESTAMP",
                 **dict.fromkeys(("input", "cached_input", "output", "reasoning", "cache_write"), "BIGINT")}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_encode = msgspec.json.Encoder().encode


def epoch_us(moment: datetime | None) -> int | None:
    """An aware time as the integer microseconds since the epoch that a TIMESTAMP column is sent as."""
    return None if moment is None else (moment - _EPOCH) // _MICROSECOND


class ParsedFile(NamedTuple):
    """One file as the poll needs it, cheap to send from a worker: the session's facts (its ``calls`` left
    empty), its weight, and its calls already encoded, one JSON array's items per ``USAGE_COLUMNS`` column
    (empty without calls), so that the poll only joins bytes and no call becomes a Python object twice."""

    session: Session | None
    weight: int = 0
    usage: tuple[bytes, ...] = ()
    error: str | None = None


def parse_file(path: str) -> ParsedFile:
    """One file's ``ParsedFile``, or why it could not be read."""
    try:
        session = parse_rollout(path)
    except (OSError, ValueError) as exc:  # zstd errors are ValueErrors
        return ParsedFile(None, error=f"{type(exc).__name__}: {exc}")
    weight = session.weight()
    calls, session.calls = session.calls, []
    if not calls:
        return ParsedFile(session)
    columns = [[session.session_id] * len(calls), *map(list, zip(*calls, strict=True))]
    columns[2] = list(map(epoch_us, columns[2]))
    return ParsedFile(session, weight, tuple(_encode(column)[1:-1] for column in columns))


def _parse_batch(paths: list[str]) -> list[ParsedFile]:
    """A worker's share."""
    return list(map(parse_file, paths))


Parsed = Iterable[ParsedFile]


def _one_thread() -> bool:
    """Whether this process runs a single thread (Linux tells; elsewhere assume not): only then may a worker
    be a fork of it, which starts at once, with the parser already imported."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _start_parse(changed: list[tuple[str, os.stat_result]]) -> tuple[Callable[[], Parsed], Callable[[], None]]:
    """Start parsing ``changed``, on every core when there is enough to read (forked or spawned workers, see
    the module docstring): (collect the results in order, give them up). The results come as each batch is
    done, so the caller reads one batch while the workers parse the next."""
    total = sum(st.st_size for _, st in changed)
    workers = min(os.cpu_count() or 1, 8)
    if total < PARALLEL_BYTES or workers < 2:
        return (lambda: _parse_batch([path for path, _ in changed])), (lambda: None)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    batches: list[list[str]] = [[]]
    size = 0
    for path, st in changed:
        if size >= _BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(path)
        size += st.st_size
    start = "fork" if _one_thread() else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start))
    results = pool.map(_parse_batch, batches)

    def collect() -> Parsed:
        with pool:
            for batch in results:
                yield from batch

    return collect, lambda: pool.shutdown(wait=False, cancel_futures=True)


class RolloutPrefetch:
    """Every rollout file of ``codex_home``, their parse started at once: for a cache that does not exist yet,
    whose first poll reads them all, so that the parse overlaps loading DuckDB and creating the cache. The
    first poll of an empty cache takes the files and their results (a file that changed meanwhile is seen as
    changed by the next poll); ``close()`` gives up what was not taken."""

    def __init__(self, codex_home: Path) -> None:
        self._entries = sorted(rollout_entries(Path(codex_home)))
        self._collect: Callable[[], Parsed] | None
        self._collect, self._cancel = _start_parse(self._entries)

    def take(self) -> tuple[list[tuple[str, os.stat_result]], Callable[[], Parsed]] | None:
        """(the files, collect their results), once."""
        if self._collect is None:
            return None
        taken, self._collect = (self._entries, self._collect), None
        return taken

    def close(self) -> None:
        if self._collect is not None:
            self._collect = None
            self._cancel()


def parse_all(changed: list[tuple[str, os.stat_result]]) -> Parsed:
    """Parse ``changed`` in order (see ``_start_parse``)."""
    return _start_parse(changed)[0]()

