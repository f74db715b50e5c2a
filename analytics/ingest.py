"""Incremental ingestion of routing logs (JSONL) into the store, following lnav's file-following rules.

Per file we remember (path, device, inode, byte offset after the last complete line, line count, hash of
the first line, size, mtime). ``poll()`` only stats a file whose size and mtime are unchanged, and otherwise
reads just the new bytes up to the last ``\\n`` — a partial last line is left for the next poll. Then:

* inode changed, same first line, not shorter: the file was replaced by a copy of itself -> resume;
* inode changed otherwise: rotation -> drain the old inode (found by scanning its folder) from the saved
  offset, then read the new file from the start;
* same inode, size below the offset: truncation -> read from the start (rows already ingested are kept,
  they happened: copytruncate-style rotation);
* same inode, first line changed: the file started over (emptied and regrown between two polls, or
  deleted and re-created on a reused inode) -> read from the start, keeping the rows already ingested as
  for a truncation: which of the two a poll sees depends only on its timing, and rows are never lost.
  (A log rewritten in place with old lines kept is thus read twice: rebuild the cache after such edits.)
* not a regular file (a FIFO, a device, a folder): skipped, so a poll never blocks on it.

Speed: big batches are never ``json.loads``-ed line by line. A byte range of complete lines becomes an
Arrow string column (offsets found with numpy, no copy) that DuckDB parses once and validates in bulk with
its JSON functions (``ingest_sql``: a conservative mirror of ``schema.normalize``) and appends in one INSERT. Only the lines
DuckDB does not accept go through ``schema.normalize`` in Python, which decides: a bad line is kept in
``malformed`` with its file, line number and the reason. Small batches (a live append of a few lines) go
straight to the Python path, because planning the bulk query costs more than the lines themselves.

The line itself is not copied into the store: a row keeps its file, byte offset, length and a hash, and
``line_readback.original_lines`` reads it back from the log (found again after a rename or copytruncate rotation; a line
rewritten or deleted since is reported as gone, never replaced by another).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from analytics.ingest_sql import FAST_SQL, REJECTED_SQL, TOLERANT_SQL
from analytics.prices import PriceBook, import_catalogue_in_background
from analytics.store import Store

if TYPE_CHECKING:  # numpy, pyarrow and what needs them load only when a poll reads bytes (not on a stat-only poll)
    import numpy as np
    import pyarrow as pa

CHUNK_BYTES = 512 * 1024 * 1024  # a transaction; each chunk ends with one core idle on its last row group
SMALL_BATCH = 5000  # lines; below this Python is faster than planning the bulk query
FIRST_LINE_LIMIT = 1024 * 1024
MALFORMED_TEXT_LIMIT = 2000


def _insert(con: duckdb.DuckDBPyConnection, rows: list[tuple], schema: pa.Schema, sql: str) -> None:
    """Append row tuples as one Arrow batch named ``_rows`` in ``sql`` (executemany costs ~1 ms a row)."""
    import pyarrow as pa

    table = pa.Table.from_arrays([pa.array(column, type=field.type) for column, field
                                  in zip(zip(*rows, strict=True), schema, strict=True)], schema=schema)
    con.register("_rows", table)
    try:
        con.execute(sql)
    finally:
        con.unregister("_rows")


@dataclass
class IngestResult:
    new_events: int = 0
    new_malformed: int = 0

    def __iadd__(self, other: IngestResult) -> IngestResult:
        self.new_events += other.new_events
        self.new_malformed += other.new_malformed
        return self


@dataclass
class FileState:
    path: str
    device: int
    inode: int
    offset: int
    lines: int
    first_hash: str | None
    size: int
    mtime_ns: int


def _first_line_hash(path: str | Path) -> str | None:
    """Hash of the first complete line (None while the file has none): tells an overwrite from growth."""
    with open(path, "rb") as handle:
        head = handle.read(FIRST_LINE_LIMIT)
    end = head.find(b"\n")
    return hashlib.sha256(head[: end + 1]).hexdigest() if end >= 0 else None


class LogIngester:
    """Follows one or more routing logs into ``store``; call ``poll()`` as often as you like."""

    def __init__(self, store: Store, paths: Iterable[str | Path], prices: PriceBook | None = None,
                 chunk_bytes: int = CHUNK_BYTES, small_batch: int = SMALL_BATCH) -> None:
        self.store = store
        self.paths = [str(Path(p).expanduser().absolute()) for p in paths]
        self.prices = prices
        self.chunk_bytes = chunk_bytes
        self.small_batch = small_batch
        self._touched: list[tuple[str, int, int]] = []
        self._states: dict[str, FileState] = {
            row[0]: FileState(*row) for row in store.execute(
                'SELECT path, device, inode, "offset", lines, first_hash, size, mtime_ns FROM log_files '
                "WHERE path IN (SELECT unnest(?))", [self.paths]).fetchall()
        }
        self._priced = False
        self._models: set[str] = set()
        self._catalogue: threading.Thread | None = None

    def poll(self) -> IngestResult:
        """Read whatever is new in every file; stat-only when nothing changed."""
        result = IngestResult()
        self._catalogue = None
        with self.store.write_lock:
            self._touched.clear()
            for path in self.paths:
                result += self._poll_file(path)
            if self._catalogue is not None:
                self._catalogue.join()
            if not self._priced or self._new_models():
                self.store.refresh_prices(self.prices or PriceBook.load())
                self._priced = True
                self._models = self._all_models()
        return result

    def _all_models(self) -> set[str]:
        return {r[0] for r in self.store.execute(
            "SELECT DISTINCT model FROM events WHERE model IS NOT NULL").fetchall()}

    def _new_models(self) -> bool:
        """Did this poll bring a model not seen before? (checks only the rows just appended)"""
        for source, inode, first_line in self._touched:
            rows = self.store.execute(
                "SELECT DISTINCT model FROM events WHERE line >= ? AND file = ? AND inode = ? AND model IS NOT NULL",
                [first_line, source, inode]).fetchall()
            if any(r[0] not in self._models for r in rows):
                return True
        return False

    def _poll_file(self, path: str) -> IngestResult:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return IngestResult()
        if not stat.S_ISREG(st.st_mode):
            return IngestResult()
        state = self._states.get(path)
        if state and (state.device, state.inode, state.size, state.mtime_ns) == (
                st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns):
            return IngestResult()
        result = IngestResult()
        try:
            first_hash = _first_line_hash(path)
        except FileNotFoundError:  # removed between stat and open: next poll sees what replaced it
            return result
        if state is None:
            state = FileState(path, st.st_dev, st.st_ino, 0, 0, first_hash, 0, 0)
        elif (state.device, state.inode) != (st.st_dev, st.st_ino):
            if not (first_hash == state.first_hash and st.st_size >= state.offset and state.first_hash):
                from analytics.line_readback import find_inode

                old = find_inode(Path(path).parent, state.device, state.inode)
                if old is not None:
                    result += self._read(str(old), state)
                state = FileState(path, st.st_dev, st.st_ino, 0, 0, first_hash, 0, 0)
        elif st.st_size < state.offset or (state.first_hash and first_hash != state.first_hash):
            state.offset, state.lines = 0, 0
        state.device, state.inode, state.first_hash = st.st_dev, st.st_ino, first_hash
        result += self._read(path, state)
        state.size, state.mtime_ns = st.st_size, st.st_mtime_ns
        self._save_state(state)
        self._states[path] = state
        return result

    def _read(self, source: str, state: FileState) -> IngestResult:
        """Ingest complete lines of ``source`` from ``state.offset`` on, one transaction per chunk.

        ``source`` differs from ``state.path`` while a rotated file is drained; the saved state then still
        names the old inode, so a crash mid-drain resumes the drain rather than repeating it.
        """
        result = IngestResult()
        if not self._priced and self._catalogue is None:  # the new lines' models are priced after the read
            self._catalogue = import_catalogue_in_background()
        with open(source, "rb") as handle:
            fd = handle.fileno()
            while (available := os.fstat(fd).st_size - state.offset) > 0:
                from analytics.log_blocks import read_block  # numpy and pyarrow: only when there are bytes

                want = min(available, self.chunk_bytes)
                data, ends = read_block(fd, state.offset, want)
                while not len(ends) and want < available:  # one line longer than a chunk
                    want = min(available, 2 * want)
                    data, ends = read_block(fd, state.offset, want)
                if not len(ends):
                    break
                result += self._ingest_chunk(data, ends, source, state)
        return result

    def _ingest_chunk(self, data: bytes | mmap.mmap, ends: np.ndarray, source: str, state: FileState) -> IngestResult:
        """Bulk SQL for big batches (a batch DuckDB cannot parse whole is retried with per-row tolerance);
        Python for small ones, where a query plan costs more than the lines. Rows and the new offset
        commit together, so a crash never loses or repeats a line. Only the lines up to the last of ``ends``
        are taken; the partial line after it is read again by the next poll.
        """
        from analytics.log_blocks import line_table, lines_at

        con = self.store.con
        first_line = state.lines + 1
        size, count = int(ends[-1]), len(ends)
        lined = line_table(data, ends, first_line, state.offset) if count > self.small_batch else None
        advanced = replace(state, offset=state.offset + size, lines=state.lines + count)
        if lined is not None:
            con.register("_batch", lined[0])
        try:
            for tolerant in (False, True):
                con.execute("BEGIN")
                try:
                    if lined is None:  # a small batch, or not UTF-8 somewhere
                        chunk = self._slow_path(source, state, lines_at(data, ends, first_line, state.offset))
                    else:
                        chunk = self._fast_path(lined[1], source, state, tolerant)
                    self._save_state(advanced)
                    con.execute("COMMIT")
                    break
                except duckdb.Error:
                    con.execute("ROLLBACK")
                    if tolerant or lined is None:
                        raise
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
        finally:
            if lined is not None:
                con.unregister("_batch")
        state.offset, state.lines = advanced.offset, advanced.lines
        self._touched.append((source, state.inode, first_line))
        return chunk

    def _fast_path(self, nonblank: int, source: str, state: FileState, tolerant: bool) -> IngestResult:
        """Bulk insert of the lines DuckDB accepts; the rest (if any) go to the Python path."""
        con = self.store.con
        inserted = con.execute(TOLERANT_SQL if tolerant else FAST_SQL,
                               [state.path, source, state.inode]).fetchall()[0][0]
        if inserted == nonblank:
            return IngestResult(inserted, 0)
        rejected = con.execute(REJECTED_SQL).fetchall()
        slow = self._slow_path(source, state, [(line, pos, raw.encode("utf-8")[:-1]) for line, pos, raw in rejected])
        return IngestResult(inserted + slow.new_events, slow.new_malformed)

    def _slow_path(self, source: str, state: FileState, lines: list[tuple[int, int, bytes]]) -> IngestResult:
        """Python's verdict per (line number, file offset, line without its newline): malformed ones are kept
        aside, accepted ones appended as Arrow."""
        import pyarrow as pa

        from analytics.ingest_rows import ROW_COLUMNS, ROW_SCHEMA, judge_line

        rows, malformed = [], []
        for line, pos, raw in lines:
            if not raw.strip():
                continue
            row, error = judge_line(raw, state.path, source, state.inode, line, pos)
            if row is None:
                text = raw[:MALFORMED_TEXT_LIMIT].decode("utf-8", errors="replace")
                malformed.append((state.path, source, state.inode, line, error, text))
            else:
                rows.append(row)
        con = self.store.con
        if rows:
            _insert(con, rows, ROW_SCHEMA, f"INSERT INTO events ({', '.join(ROW_COLUMNS[:-1])}, byte_length, "
                    "line_hash) SELECT * EXCLUDE (text), strlen(text), hash(text) FROM _rows")
        if malformed:
            schema = pa.schema([("log", pa.string()), ("file", pa.string()), ("inode", pa.uint64()),
                                ("line", pa.int64()), ("error", pa.string()), ("text", pa.string())])
            _insert(con, malformed, schema, "INSERT INTO malformed SELECT * FROM _rows")
        return IngestResult(len(rows), len(malformed))

    def _save_state(self, state: FileState) -> None:
        self.store.execute(
            "INSERT OR REPLACE INTO log_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [state.path, state.device, state.inode, state.offset, state.lines, state.first_hash, state.size,
             state.mtime_ns])
