"""Keeps the store's ``rollout_files``/``sessions``/``session_usage`` in step with Codex's rollout files, so the
cost review covers Codex work that bypassed our router.

A file is re-read only when its size or mtime changed; a session seen in several files (live, compressed,
archived) is stored once, by id, from its most complete copy. Rows go in as bulk inserts (``_new_table``).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from analytics.rollout_lines import rollout_entries
from analytics.rollout_prefetch import USAGE_COLUMNS, ParsedFile, RolloutPrefetch, epoch_us, parse_all

if TYPE_CHECKING:
    from analytics.prices import PriceBook
    from analytics.store import Store


@dataclass
class RolloutResult:
    files_read: int = 0
    sessions: int = 0
    errors: list[str] = field(default_factory=list)


class RolloutIngester:
    """Keeps the store's ``sessions``/``session_usage`` in step with ``codex_home``'s rollout files."""

    def __init__(self, store: Store, codex_home: Path, prices: PriceBook | None = None,
                 prefetch: RolloutPrefetch | None = None) -> None:
        self.store = store
        self.codex_home = Path(codex_home)
        self.prices = prices
        self.prefetch = prefetch

    def poll(self) -> RolloutResult:
        result = RolloutResult()
        known = {row[0]: (row[1], row[2]) for row in
                 self.store.execute("SELECT path, size, mtime_ns FROM rollout_files").fetchall()}
        prefetched = self.prefetch.take() if self.prefetch is not None and not known else None
        if prefetched is not None:
            changed, collect = prefetched
        else:
            changed = [(path, st) for path, st in sorted(rollout_entries(self.codex_home))
                       if known.get(path) != (st.st_size, st.st_mtime_ns)]
            collect = partial(parse_all, changed)
        if not changed:
            return result
        from analytics.prices import PriceBook, import_catalogue_in_background

        catalogue = import_catalogue_in_background()  # while the files are parsed (in other processes if many)
        parsed = collect()
        files, by_session = [], defaultdict(list)
        for (path, st), parsed_file in zip(changed, parsed, strict=True):
            result.files_read += 1
            session, error = parsed_file.session, parsed_file.error
            if session is not None and not session.session_id:
                error = "no session_meta line"
            if error:
                result.errors.append(f"{path}: {error}")
            files.append((path, st.st_size, st.st_mtime_ns, session.session_id if session else None, error))
            if session is not None and session.session_id:
                by_session[session.session_id].append((path, parsed_file))
        # the most complete copy wins (a live file may still grow; archives may be older)
        best = {sid: max(copies, key=lambda c: (c[1].weight, c[0].endswith(".jsonl")))
                for sid, copies in by_session.items()}
        with self.store.write_lock:
            con = self.store.con
            con.execute("BEGIN")
            try:
                result.sessions = self._write(files, best)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        if result.sessions:
            catalogue.join()
            self.store.refresh_prices(self.prices or PriceBook.load())
        return result

    def _write(self, files: list[tuple], best: dict[str, tuple[str, ParsedFile]]) -> int:
        """Upsert the files read and replace each session by its better copy, all as bulk inserts."""
        con = self.store.con
        held = dict(con.execute(
            "SELECT session_id, sum(input + output) FROM session_usage WHERE session_id IN (SELECT unnest(?)) "
            "GROUP BY ALL", [list(best)]).fetchall())
        # an older, shorter copy of a session we already hold (e.g. an archived snapshot) does not replace it
        keep = {sid: pair for sid, pair in best.items() if (held.get(sid) or 0) <= pair[1].weight}
        facts = operator.attrgetter(*list(_SESSION_COLUMNS)[3:])
        sessions = [(sid, path, epoch_us(parsed.session.started_at), *facts(parsed.session))
                    for sid, (path, parsed) in keep.items()]
        tables = {name: _columns(rows, _TYPES[name]) for name, rows in (("rollout_files", files),
                                                                        ("sessions", sessions))}
        tables["session_usage"] = _joined([parsed.usage for _, parsed in keep.values()], USAGE_COLUMNS)
        try:
            for name, columns in tables.items():
                _new_table(con, f"_new_{name}", columns, _TYPES[name])
            con.execute("INSERT OR REPLACE INTO rollout_files SELECT * FROM _new_rollout_files")
            con.execute("DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM _new_sessions)")
            con.execute("DELETE FROM session_usage WHERE session_id IN (SELECT session_id FROM _new_sessions)")
            con.execute("INSERT INTO sessions BY NAME SELECT * FROM _new_sessions")
            con.execute("INSERT INTO session_usage BY NAME SELECT *, ts::DATE AS day FROM _new_session_usage")
        finally:
            for name in tables:
                con.execute(f"DROP TABLE IF EXISTS _new_{name}")
        return len(keep)


_FILE_COLUMNS = {"path": "VARCHAR", "size": "UBIGINT", "mtime_ns": "UBIGINT", "session_id": "VARCHAR",
                 "error": "VARCHAR"}
_SESSION_COLUMNS = {"session_id": "VARCHAR", "file": "VARCHAR", "started_at": "TIMESTAMP", "cwd": "VARCHAR",
                    "cli_version": "VARCHAR", "source": "VARCHAR", "originator": "VARCHAR",
                    "model_provider": "VARCHAR", "model": "VARCHAR"}
_TYPES = {"rollout_files": _FILE_COLUMNS, "sessions": _SESSION_COLUMNS, "session_usage": USAGE_COLUMNS}


def _columns(rows: list[tuple], types: dict[str, str]) -> list[bytes]:
    """``rows`` as one JSON array per column (what ``_new_table`` takes)."""
    columns = map(list, zip(*rows, strict=True)) if rows else ([] for _ in types)
    return list(map(msgspec.json.encode, columns))


def _joined(parts: list[tuple[bytes, ...]], types: dict[str, str]) -> list[bytes]:
    """Encoded column pieces (a worker's ``ParsedFile.usage``) joined into one JSON array per column."""
    columns = list(zip(*filter(None, parts), strict=True)) or [() for _ in types]
    return [b"[" + b",".join(pieces) + b"]" for pieces in columns]


def _new_table(con: Any, name: str, columns: list[bytes], types: dict[str, str]) -> None:
    """A temporary table of ``columns`` (one JSON array each, in ``types``' order), which DuckDB's ``from_json``
    unpacks column by column (no row by row, and no pyarrow to load; one array per column is read about twice
    as fast as one object of arrays). A TIMESTAMP column arrives as microseconds since the epoch and is stored
    as the naive UTC the tables hold."""
    picks = []
    for i, (column, kind) in enumerate(types.items(), start=1):
        values = f"unnest(from_json(${i}, '[\"{'BIGINT' if kind == 'TIMESTAMP' else kind}\"]'))"
        picks.append(f'{f"make_timestamp({values})" if kind == "TIMESTAMP" else values} AS "{column}"')
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {', '.join(picks)}",
                [column.decode() for column in columns])
