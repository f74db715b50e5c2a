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
from analytics.rollout_prefetch import RolloutPrefetch, parse_all
from analytics.rollout_sessions import Session

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
        for (path, st), (session, error) in zip(changed, parsed, strict=True):
            result.files_read += 1
            if session is not None and not session.session_id:
                error = "no session_meta line"
            if error:
                result.errors.append(f"{path}: {error}")
            files.append((path, st.st_size, st.st_mtime_ns, session.session_id if session else None, error))
            if session is not None and session.session_id:
                by_session[session.session_id].append((path, session))
        # the most complete copy wins (a live file may still grow; archives may be older)
        best = {sid: max(copies, key=lambda c: (c[1].weight(), c[0].endswith(".jsonl")))
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

    def _write(self, files: list[tuple], best: dict[str, tuple[str, Session]]) -> int:
        """Upsert the files read and replace each session by its better copy, all as bulk inserts."""
        con = self.store.con
        held = dict(con.execute(
            "SELECT session_id, sum(input + output) FROM session_usage WHERE session_id IN (SELECT unnest(?)) "
            "GROUP BY ALL", [list(best)]).fetchall())
        # an older, shorter copy of a session we already hold (e.g. an archived snapshot) does not replace it
        keep = {sid: pair for sid, pair in best.items() if (held.get(sid) or 0) <= pair[1].weight()}
        facts = operator.attrgetter(*list(_SESSION_COLUMNS)[2:])
        sessions = [(sid, path, *facts(session)) for sid, (path, session) in keep.items()]
        calls: list[tuple] = []
        for sid, (_, session) in keep.items():
            calls += [(sid, *call) for call in session.calls]
        tables = {name: dict(zip(_TYPES[name], map(list, zip(*rows, strict=True)), strict=True)) if rows
                  else dict.fromkeys(_TYPES[name], [])
                  for name, rows in (("rollout_files", files), ("sessions", sessions), ("session_usage", calls))}
        try:
            for name, data in tables.items():
                _new_table(con, f"_new_{name}", data, _TYPES[name])
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
_SESSION_COLUMNS = {"session_id": "VARCHAR", "file": "VARCHAR", "started_at": "TIMESTAMPTZ", "cwd": "VARCHAR",
                    "cli_version": "VARCHAR", "source": "VARCHAR", "originator": "VARCHAR",
                    "model_provider": "VARCHAR", "model": "VARCHAR"}
_USAGE_COLUMNS = {"session_id": "VARCHAR", "model": "VARCHAR", "ts": "TIMESTAMPTZ",
                  **dict.fromkeys(("input", "cached_input", "output", "reasoning", "cache_write"), "BIGINT")}
_TYPES = {"rollout_files": _FILE_COLUMNS, "sessions": _SESSION_COLUMNS, "session_usage": _USAGE_COLUMNS}


def _new_table(con: Any, name: str, data: dict[str, list], types: dict[str, str]) -> None:
    """A temporary table of ``data``'s columns, handed to DuckDB as one JSON document: msgspec encodes it in
    one call, DuckDB's ``from_json`` unpacks it (no row by row, and no pyarrow to load). Times are aware
    datetimes, stored as the naive UTC the tables hold whatever the connection's TimeZone (a cast uses it)."""
    spec = msgspec.json.encode({column: [kind] for column, kind in types.items()}).decode()
    picks = ", ".join(f'unnest(j."{column}") AS "{column}"' for column in types)
    naive = ", ".join(f'make_timestamp(epoch_us("{c}")) AS "{c}"' for c, kind in types.items() if kind == "TIMESTAMPTZ")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT *{f' REPLACE ({naive})' if naive else ''} "
                f"FROM (SELECT {picks} FROM (SELECT from_json(?, ?) AS j))",
                [msgspec.json.encode(data).decode(), spec])
