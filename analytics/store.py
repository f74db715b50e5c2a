"""The DuckDB file that mirrors the routing logs and Codex rollouts, and the only owner of its tables.

The JSONL logs are the source of truth: this database is a cache that can always be deleted and rebuilt
(``Store.rebuild``). DuckDB lets one process hold a file read-write; a second one gets ``StoreLockedError``
naming the file, so a report can fall back to an in-memory copy while the dashboard runs.

Thread use: every thread gets its own cursor (``store.con``) on the one connection, which is how DuckDB
wants concurrent readers; writers additionally take ``store.write_lock`` so two ingests never interleave.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb

from analytics.paths import default_db_path

STORE_VERSION = 4  # bump when a table changes: an older file is then rebuilt from the logs
# `line_hash` is DuckDB's hash(), which a DuckDB release may change: a file from another release is rebuilt.
_VERSION = f"{STORE_VERSION} (duckdb {duckdb.__version__})"
MEMORY = ":memory:"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS events (
    log VARCHAR, file VARCHAR, inode UBIGINT, line BIGINT, ts TIMESTAMP, v INTEGER, event VARCHAR,
    task_id VARCHAR, task VARCHAR, dimension VARCHAR, language VARCHAR, difficulty VARCHAR,
    model VARCHAR, profile VARCHAR, router VARCHAR, propensity DOUBLE, score DOUBLE,
    tokens_input BIGINT, tokens_cached_input BIGINT, tokens_output BIGINT, tokens_reasoning BIGINT,
    cost_usd DOUBLE, latency_ms DOUBLE, exit_code BIGINT, session_id VARCHAR, turn_id VARCHAR,
    cwd VARCHAR, tool VARCHAR, status VARCHAR,
    est_scores STRUCT(model VARCHAR, exp_score DOUBLE)[], oracle_best DOUBLE,
    byte_offset BIGINT, byte_length INTEGER, line_hash UBIGINT
);
CREATE TABLE IF NOT EXISTS malformed (
    log VARCHAR, file VARCHAR, inode UBIGINT, line BIGINT, error VARCHAR, text VARCHAR
);
CREATE TABLE IF NOT EXISTS log_files (
    path VARCHAR PRIMARY KEY, device UBIGINT, inode UBIGINT, "offset" UBIGINT, lines UBIGINT,
    first_hash VARCHAR, size UBIGINT, mtime_ns UBIGINT
);
CREATE TABLE IF NOT EXISTS rollout_files (
    path VARCHAR PRIMARY KEY, size UBIGINT, mtime_ns UBIGINT, session_id VARCHAR, error VARCHAR
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id VARCHAR PRIMARY KEY, file VARCHAR, started_at TIMESTAMP, cwd VARCHAR,
    cli_version VARCHAR, source VARCHAR, originator VARCHAR, model_provider VARCHAR, model VARCHAR
);
CREATE TABLE IF NOT EXISTS session_usage (
    session_id VARCHAR, model VARCHAR, day DATE, ts TIMESTAMP,
    input BIGINT, cached_input BIGINT, output BIGINT, reasoning BIGINT
);
CREATE TABLE IF NOT EXISTS prices (
    model VARCHAR PRIMARY KEY, input_per_mtok DOUBLE, cached_input_per_mtok DOUBLE,
    output_per_mtok DOUBLE, source VARCHAR
);
"""

# `log` is the followed path (the scope of a report); `file` the file the line was read from (differs after
# a rotation). Timestamps are stored as naive UTC (TIMESTAMP): time-zone arithmetic would need DuckDB's ICU extension,
# which cannot be downloaded offline.
# The log line itself is not stored (the log is its one copy; storing it was a third of a cold ingest): a row
# keeps where its line is (`byte_offset`, `byte_length` with the newline) and `line_hash` (hash() of those
# bytes as text) so that reading it back (`ingest.original_lines`) notices a log rewritten since.
# `est_scores` (route: decision.candidates' model + exp_score) and `oracle_best` (outcome: max of oracle_scores)
# are what regret needs, typed at ingest: parsing the lines per row at query time took seconds at 1M events.
# Cost is derived at query time from the prices table, so an edited override applies without a rebuild.
# A cost the writer logged wins; a run is *unpriced* when it has neither a logged cost nor a known price.
_VIEWS = """
CREATE OR REPLACE VIEW priced_events AS
SELECT e.*,
       COALESCE(e.cost_usd, CASE WHEN e.tokens_input IS NOT NULL OR e.tokens_output IS NOT NULL THEN
           (GREATEST(COALESCE(e.tokens_input, 0) - COALESCE(e.tokens_cached_input, 0), 0) * p.input_per_mtok
            + COALESCE(e.tokens_cached_input, 0) * p.cached_input_per_mtok
            + COALESCE(e.tokens_output, 0) * p.output_per_mtok) / 1e6 END) AS cost,
       (e.model IS NOT NULL AND e.cost_usd IS NULL AND p.model IS NULL) AS unpriced
FROM events e LEFT JOIN prices p ON p.model = e.model;
CREATE OR REPLACE VIEW session_spend AS
SELECT NULL::VARCHAR AS log, u.session_id, u.model, u.day, u.ts, s.cwd,
       (GREATEST(u.input - u.cached_input, 0) * p.input_per_mtok + u.cached_input * p.cached_input_per_mtok
        + u.output * p.output_per_mtok) / 1e6 AS cost,
       (p.model IS NULL) AS unpriced,
       u.input, u.cached_input, u.output, u.reasoning
FROM session_usage u
LEFT JOIN sessions s USING (session_id)
LEFT JOIN prices p ON p.model = u.model
WHERE u.session_id NOT IN (SELECT session_id FROM events WHERE session_id IS NOT NULL AND event = 'outcome');
CREATE OR REPLACE VIEW spend AS
SELECT log, ts, model, cwd, dimension, task_id, cost, unpriced, 'router' AS source
FROM priced_events WHERE event = 'outcome' AND status IS DISTINCT FROM 'codex_missing'  -- a failed start cost nothing
UNION ALL
SELECT NULL, ts, model, cwd, NULL, session_id, cost, unpriced, 'codex' AS source FROM session_spend;
"""


class StoreError(RuntimeError):
    """The database cannot be used; the message names the file and what to do."""


class StoreLockedError(StoreError):
    """Another process (usually the dashboard) holds the database file open for writing."""


class StoreCorruptError(StoreError):
    """The file is not a usable database; ``Store.rebuild(path)`` deletes it and starts over from the logs."""


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


class Store:
    """One DuckDB database (file or ``":memory:"``); ``db_path=None`` means ``default_db_path()``."""

    def __init__(self, db_path: str | Path | None = None, read_only: bool = False) -> None:
        self.path = MEMORY if str(db_path) == MEMORY else Path(db_path or default_db_path())
        self.read_only = read_only
        self.write_lock = threading.RLock()
        self._local = threading.local()
        if self.path != MEMORY:
            if read_only and not self.path.exists():
                raise StoreError(f"{self.path}: no database yet (run an ingest or `codex-router report` first)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        created = self.path != MEMORY and not self.path.exists()
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
            if created:
                os.chmod(self.path, 0o600)  # the cache holds task texts and project paths, like the log
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                raise StoreLockedError(f"{self.path}: database is locked by another process ({exc})") from exc
            if isinstance(exc, duckdb.IOException) and self.path != MEMORY and self.path.exists():
                raise StoreCorruptError(f"{self.path}: not a usable database ({exc}); rebuild it from the "
                                        "logs (Store.rebuild)") from exc
            raise StoreError(f"{self.path}: cannot open database ({exc})") from exc
        try:
            self._prepare()
        except duckdb.Error as exc:
            self._con.close()
            raise StoreCorruptError(f"{self.path}: unusable database ({exc}); rebuild it from the logs "
                                    "(Store.rebuild)") from exc

    def _prepare(self) -> None:
        if self.read_only:
            self._check_version()
            return
        self._con.execute(_TABLES)
        self._con.execute("INSERT OR IGNORE INTO meta VALUES ('store_version', ?)", [_VERSION])
        self._check_version()
        self._con.execute(_VIEWS)

    def _check_version(self) -> None:
        rows = self._con.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchall()
        found = rows[0][0] if rows else "missing"
        if found != _VERSION:
            raise duckdb.Error(f"store version {found}, expected {_VERSION}")

    @classmethod
    def rebuild(cls, db_path: str | Path | None = None) -> Store:
        """Delete the database (and its WAL) and return an empty one; the next ingest re-reads every log."""
        path = Path(db_path or default_db_path())
        for victim in (path, path.with_name(path.name + ".wal")):
            victim.unlink(missing_ok=True)
        return cls(path)

    @classmethod
    def open_or_rebuild(cls, db_path: str | Path | None = None) -> tuple[Store, bool]:
        """Open read-write; a corrupt file is rebuilt (the logs are the truth). Returns (store, rebuilt)."""
        try:
            return cls(db_path), False
        except StoreCorruptError:
            return cls.rebuild(db_path), True

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections are not shared across threads; cursors are cheap)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._con.cursor()
            self._local.cursor = cursor
        return cursor

    def execute(self, sql: str, params: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, params or [])

    def refresh_prices(self, book: Any) -> list[str]:
        """Price every model seen in events or sessions; returns the models nobody prices (unpriced)."""
        models = [r[0] for r in self.execute(
            "SELECT DISTINCT model FROM events WHERE model IS NOT NULL "
            "UNION SELECT DISTINCT model FROM session_usage WHERE model IS NOT NULL").fetchall()]
        rows, unpriced = [], []
        for model in sorted(models):
            price = book.price(model)
            if price is None:
                unpriced.append(model)
            else:
                rows.append((model, price.input_per_mtok, price.cached_input_per_mtok, price.output_per_mtok,
                             price.source))
        with self.write_lock:
            con = self.con
            con.execute("BEGIN")
            con.execute("DELETE FROM prices")
            if rows:
                con.executemany("INSERT INTO prices VALUES (?, ?, ?, ?, ?)", rows)
            con.execute("COMMIT")
        return unpriced

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
