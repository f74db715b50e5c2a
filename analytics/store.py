"""The DuckDB file that mirrors the routing logs and Codex rollouts, and the only owner of its tables.

The JSONL logs are the source of truth: this database is a cache that can always be deleted and rebuilt
(``Store.rebuild``). DuckDB lets one process hold a file read-write; a second one gets ``StoreLockedError``
naming the file, so a report can fall back to an in-memory copy while the dashboard runs.

A ``--db`` path may name anything, so only a file that is provably our cache is ever written or rebuilt:
its ``meta`` table carries ``OWNER``, or it is one of the cache paths we name, or a file this program created
(``caches.json`` in the data dir remembers each one's path and inode, so a cache damaged past reading its
marker is still known as ours, while a file put in its place is not).
Anything else — a directory, a text file, random bytes, another program's DuckDB file — is refused with
``StoreRefusedError`` before DuckDB writes a byte to it. A lock is told from damage by DuckDB's own lock
message, never by the word "lock" alone (a checksum error names the "block" it failed in).

Thread use: every thread gets its own cursor (``store.con``) on the one connection, which is how DuckDB
wants concurrent readers; writers additionally take ``store.write_lock`` so two ingests never interleave.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import duckdb

from analytics.atomicfile import atomic_write
from analytics.errors import CodexRouterError
from analytics.metrics import token_cost_sql
from analytics.paths import data_dir, default_db_path, is_default_db, make_private_dir

STORE_VERSION = 6  # bump when a table changes: an older file is then rebuilt from the logs
# `line_hash` is DuckDB's hash(), which a DuckDB release may change: a file from another release is rebuilt.
_VERSION = f"{STORE_VERSION} (duckdb {duckdb.__version__})"
MEMORY = ":memory:"
OWNER = "codex-router-tui cache"  # meta('owner'): the marker that makes a file ours to rebuild
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB file
_LOCK_MESSAGE = "could not set lock on file"  # DuckDB's IOException when another process holds the file

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS events (
    log VARCHAR, file VARCHAR, inode UBIGINT, line BIGINT, ts TIMESTAMP, v INTEGER, event VARCHAR,
    task_id VARCHAR, task VARCHAR, dimension VARCHAR, language VARCHAR, difficulty VARCHAR,
    model VARCHAR, profile VARCHAR, router VARCHAR, propensity DOUBLE, score DOUBLE,
    tokens_input BIGINT, tokens_cached_input BIGINT, tokens_output BIGINT, tokens_reasoning BIGINT,
    tokens_cache_write BIGINT,
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
    input BIGINT, cached_input BIGINT, output BIGINT, reasoning BIGINT, cache_write BIGINT
);
CREATE TABLE IF NOT EXISTS prices (
    model VARCHAR PRIMARY KEY, input_per_mtok DOUBLE, cached_input_per_mtok DOUBLE,
    output_per_mtok DOUBLE, source VARCHAR, cache_write_per_mtok DOUBLE, tier_start BIGINT,
    tier_input_per_mtok DOUBLE, tier_cached_input_per_mtok DOUBLE, tier_output_per_mtok DOUBLE,
    tier_cache_write_per_mtok DOUBLE
);
"""

# `log` is the followed path (the scope of a report); `file` the file the line was read from (differs after
# a rotation). Timestamps are stored as naive UTC (TIMESTAMP): time-zone arithmetic would need DuckDB's ICU extension,
# which cannot be downloaded offline.
# The log line itself is not stored (the log is its one copy; storing it was a third of a cold ingest): a row
# keeps where its line is (`byte_offset`, `byte_length` with the newline) and `line_hash` (hash() of those
# bytes as text) so that reading it back (`line_readback.original_lines`) notices a log rewritten since.
# `est_scores` (route: decision.candidates' model + exp_score) and `oracle_best` (outcome: max of oracle_scores)
# are what regret needs, typed at ingest: parsing the lines per row at query time took seconds at 1M events.
# Cost is derived at query time from the prices table, so an edited override applies without a rebuild.
# `session_usage` holds one row per Codex call, so a long-context tier (`tier_*`: the rates of a request whose
# input exceeds `tier_start`) applies per call, as genai-prices defines it (analytics.prices).
# A cost the writer logged wins; a run is *unpriced* when it has neither a logged cost nor a known price.
_RUN_COST = token_cost_sql("COALESCE(e.tokens_input, 0)", "COALESCE(e.tokens_cached_input, 0)",
                           "COALESCE(e.tokens_output, 0)", "COALESCE(e.tokens_cache_write, 0)")
_CALL_COST = token_cost_sql("u.input", "u.cached_input", "u.output", "u.cache_write",
                            lambda rate: f"CASE WHEN long_context THEN p.tier_{rate} ELSE p.{rate} END")
_VIEWS = f"""
CREATE OR REPLACE VIEW priced_events AS
SELECT e.*,
       COALESCE(e.cost_usd, CASE WHEN e.tokens_input IS NOT NULL OR e.tokens_output IS NOT NULL THEN
           {_RUN_COST} END) AS cost,
       (e.model IS NOT NULL AND e.cost_usd IS NULL AND p.model IS NULL) AS unpriced
FROM events e LEFT JOIN prices p ON p.model = e.model;
CREATE OR REPLACE VIEW session_spend AS
SELECT NULL::VARCHAR AS log, u.session_id, u.model, u.day, u.ts, s.cwd,
       (u.input > p.tier_start) IS TRUE AS long_context,
       {_CALL_COST} AS cost,
       (p.model IS NULL) AS unpriced,
       u.input, u.cached_input, u.output, u.reasoning, u.cache_write
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


class StoreError(CodexRouterError, RuntimeError):
    """The database cannot be used; the message names the file and what to do."""


class StoreLockedError(StoreError):
    """Another process (usually the dashboard) holds the database file open for writing."""


class StoreCorruptError(StoreError):
    """Our cache file is damaged or outdated; ``Store.rebuild(path)`` deletes it and starts over from the logs."""


class StoreRefusedError(StoreError):
    """The path is not ours to use (a directory, or a file that is not our cache): a usage error, nothing written."""


def _is_lock_error(exc: Exception) -> bool:
    return isinstance(exc, duckdb.IOException) and _LOCK_MESSAGE in str(exc).lower()


def is_corruption(exc: BaseException) -> bool:
    """A DuckDB error that means the file is damaged (found at open, or later when a query reads a bad block)."""
    return isinstance(exc, duckdb.Error) and not _is_lock_error(exc) and "corrupt" in str(exc).lower()


def _owner_marker(con: duckdb.DuckDBPyConnection) -> bool | None:
    """Does this database carry our marker? None for an empty database (nothing in it to lose)."""
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() UNION ALL "
                                       "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    if not names:
        return None
    if "meta" not in names:
        return False
    found = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('owner', 'store_version')").fetchall())
    # a file from before the marker (store version <= 4) carries our "N (duckdb X)" store_version instead
    return found.get("owner") == OWNER or bool(re.fullmatch(r"[0-4] \(duckdb [^)]+\)", str(found.get("store_version"))))


def _registry(folder: Path | None) -> Path:
    """The record of caches we created, in ``folder`` (a session's own data dir, e.g. a demo's) or the user's."""
    return (folder or data_dir()) / "caches.json"


def _created(registry: Path) -> dict[str, int]:
    try:
        found = json.loads(registry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _remember(path: Path, registry: Path) -> None:
    """Note a cache file we just created (path -> inode); entries of files gone since are dropped."""
    known = {name: inode for name, inode in _created(registry).items() if os.path.exists(name)}
    known[str(path.absolute())] = path.stat().st_ino
    try:
        atomic_write(registry, json.dumps(known, indent=0))
    except OSError:
        pass  # only a later rebuild of this file after damage needs the note; the marker still works


def _is_ours_by_record(path: Path, registry: Path) -> bool:
    if is_default_db(path):
        return True
    try:
        return _created(registry).get(str(path.absolute())) == path.stat().st_ino
    except OSError:
        return False


def _check_ours(path: Path, registry: Path) -> None:
    """Refuse a path we must not write (see the module docstring); raise StoreCorruptError for our damaged cache.

    Probed read-only, so another program's file is never changed (DuckDB replays and checkpoints a WAL only
    for a read-write connection)."""
    if path.is_dir():
        raise StoreRefusedError(f"{path}: is a directory; --db takes a database file path")
    if not path.exists():
        return
    ours = _is_ours_by_record(path, registry)
    refuse = (f"{path}: exists and is not a codex-router-tui cache; refusing to overwrite it (choose another "
              "--db path)")
    if not path.is_file():
        raise StoreRefusedError(refuse)
    with path.open("rb") as handle:
        head = handle.read(12)
    if head[8:12] != _DUCKDB_MAGIC:
        if ours:
            raise StoreCorruptError(f"{path}: not a DuckDB file any more; rebuild it from the logs (Store.rebuild)")
        raise StoreRefusedError(refuse)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        return  # this process already holds it open, so it passed this check then
    except duckdb.Error as exc:
        if _is_lock_error(exc):
            raise StoreLockedError(f"{path}: database is locked by another process ({exc})") from exc
        if ours:
            raise StoreCorruptError(f"{path}: unusable database ({exc}); rebuild it from the logs "
                                    "(Store.rebuild)") from exc
        raise StoreRefusedError(f"{path}: a DuckDB file that cannot be read ({exc}) and so cannot be shown to be "
                                "a codex-router-tui cache; not touched (delete it yourself if it was one)") from exc
    try:
        owned = _owner_marker(con)
    except duckdb.Error as exc:
        if not ours:
            raise StoreRefusedError(f"{path}: a DuckDB file whose contents cannot be read ({exc}); not touched "
                                    "(delete it yourself if it was a codex-router-tui cache)") from exc
        owned = True  # a cache we named or created: opening it read-write finds the damage and rebuilds
    finally:
        con.close()
    if owned is False:
        raise StoreRefusedError(f"{path}: another program's DuckDB database (no codex-router-tui marker); "
                                "refusing to change it (choose another --db path)")


class Store:
    """One DuckDB database (file or ``":memory:"``); ``db_path=None`` means ``default_db_path()``.

    ``data_dir`` is where the record of caches we created lives (None: the user's data dir); a demo passes its
    temporary folder so that it writes nothing of its own into the user's."""

    def __init__(self, db_path: str | Path | None = None, read_only: bool = False,
                 data_dir: Path | None = None) -> None:
        self.path = MEMORY if str(db_path) == MEMORY else Path(db_path or default_db_path())
        registry = _registry(data_dir)
        self.read_only = read_only
        self.write_lock = threading.RLock()
        self._local = threading.local()
        if self.path != MEMORY:
            if read_only and not self.path.exists():
                raise StoreError(f"{self.path}: no database yet (run an ingest or `codex-router report` first)")
            _check_ours(self.path, registry)
            try:
                make_private_dir(self.path.parent)
            except OSError as exc:
                raise StoreRefusedError(f"{self.path}: cannot create its folder ({exc.strerror})") from exc
        created = self.path != MEMORY and not self.path.exists()
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
            if created:
                os.chmod(self.path, 0o600)  # the cache holds task texts and project paths, like the log
                _remember(self.path, registry)
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                raise StoreLockedError(f"{self.path}: database is locked by another process ({exc})") from exc
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
        self._con.execute("INSERT OR IGNORE INTO meta VALUES ('owner', ?)", [OWNER])
        self._check_version()
        self._con.execute(_VIEWS)

    def _check_version(self) -> None:
        rows = self._con.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchall()
        found = rows[0][0] if rows else "missing"
        if found != _VERSION:
            raise duckdb.Error(f"store version {found}, expected {_VERSION}")

    @classmethod
    def rebuild(cls, db_path: str | Path | None = None, data_dir: Path | None = None) -> Store:
        """Delete our database (and its WAL) and return an empty one; the next ingest re-reads every log.
        A file that is not our cache raises StoreRefusedError and is left as it is."""
        path = Path(db_path or default_db_path())
        try:
            _check_ours(path, _registry(data_dir))
        except StoreCorruptError:
            pass  # ours, damaged: exactly what rebuilding is for
        for victim in (path, path.with_name(path.name + ".wal")):
            victim.unlink(missing_ok=True)
        return cls(path, data_dir=data_dir)

    @classmethod
    def open_or_rebuild(cls, db_path: str | Path | None = None,
                        data_dir: Path | None = None) -> tuple[Store, bool]:
        """Open read-write; a corrupt file is rebuilt (the logs are the truth). Returns (store, rebuilt)."""
        try:
            return cls(db_path, data_dir=data_dir), False
        except StoreCorruptError:
            return cls.rebuild(db_path, data_dir), True

    @classmethod
    def open_for_logs(cls, db_path: str | Path | None = None) -> tuple[Store, str | None]:
        """``open_or_rebuild``, or an in-memory store while another process holds the file: the logs are the
        truth, the cache only saves re-reading them. Returns (store, a one-line notice of either, or None)."""
        try:
            store, rebuilt = cls.open_or_rebuild(db_path)
        except StoreLockedError as exc:
            return cls(MEMORY), f"{exc}; using a temporary in-memory copy"
        return store, (f"{store.path} was corrupt; rebuilt it from the logs" if rebuilt else None)

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
        """Price every model seen in events or sessions; returns the models nobody prices (unpriced).
        Nothing is resolved again while the models and ``book.key`` are those of the last refresh."""
        models = sorted(r[0] for r in self.execute(
            "SELECT DISTINCT model FROM events WHERE model IS NOT NULL "
            "UNION SELECT DISTINCT model FROM session_usage WHERE model IS NOT NULL").fetchall())
        key = hashlib.sha256(json.dumps([book.key, models]).encode()).hexdigest()
        if self.execute("SELECT value FROM meta WHERE key = 'prices_key'").fetchall() == [(key,)]:
            priced = {r[0] for r in self.execute("SELECT model FROM prices").fetchall()}
            return [model for model in models if model not in priced]
        rows, unpriced = [], []
        for model in sorted(models):
            price = book.price(model)
            if price is None:
                unpriced.append(model)
            else:
                start, tier = price.tier or (None, None)
                rows.append((model, price.input_per_mtok, price.cached_input_per_mtok, price.output_per_mtok,
                             price.source, price.cache_write_per_mtok, start,
                             *((tier.input_per_mtok, tier.cached_input_per_mtok, tier.output_per_mtok,
                                tier.cache_write_per_mtok) if tier else (None,) * 4)))
        with self.write_lock:
            con = self.con
            con.execute("BEGIN")
            con.execute("DELETE FROM prices")
            if rows:
                con.executemany(f"INSERT INTO prices VALUES ({', '.join('?' * len(rows[0]))})", rows)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('prices_key', ?)", [key])
            con.execute("COMMIT")
        return unpriced

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
