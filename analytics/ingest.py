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
Arrow string column (offsets found with numpy) that DuckDB parses once and validates in bulk with its JSON
functions (a conservative mirror of ``schema.normalize``) and appends in one INSERT. Only the lines DuckDB
does not accept go through ``schema.normalize`` in Python, which decides: a bad line is kept in
``malformed`` with its file, line number and the reason. Small batches (a live append of a few lines) go
straight to the Python path, because planning the bulk query costs more than the lines themselves.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from analytics.prices import PriceBook
from analytics.schema import EVENT_KINDS, SchemaError, normalize, parse_ts
from analytics.store import Store

CHUNK_BYTES = 64 * 1024 * 1024
BATCH_ROWS = 32768
SMALL_BATCH = 5000  # lines; below this Python is faster than planning the bulk query
FIRST_LINE_LIMIT = 1024 * 1024
MALFORMED_TEXT_LIMIT = 2000

# Top-level keys parsed in the fast path, with the check that mirrors schema.CORE_KEYS ("any": carried only).
_FIELDS: dict[str, str] = {
    "v": "version", "ts": "str", "event": "str", "task_id": "str", "task": "str", "dimension": "str",
    "language": "str", "difficulty": "scalar", "model": "str", "profile": "str", "router": "str",
    "propensity": "num", "score": "num", "decision": "decision", "verifier": "obj", "tokens": "obj",
    "cost_usd": "num", "latency_ms": "num", "exit_code": "exit", "session_id": "str", "turn_id": "str",
    "cwd": "str", "tool": "str", "status": "any", "timestamp": "any", "task_hint": "any", "oracle_scores": "any",
}
_TOKENS = ("input", "cached_input", "output", "reasoning")
_EVENT_COLUMNS = ("v", "event", "task_id", "task", "dimension", "language", "difficulty", "model", "profile",
                  "router", "propensity", "score", "tokens_input", "tokens_cached_input", "tokens_output",
                  "tokens_reasoning", "cost_usd", "latency_ms", "exit_code", "session_id", "turn_id", "cwd",
                  "tool", "status", "est_scores", "oracle_best")


def _first(x: str) -> str:
    return f"left({x}, 1)"


def _text(x: str) -> str:
    """A JSON string value as text: slice off the quotes unless it holds an escape (rare)."""
    return f"CASE WHEN contains({x}, '\\') THEN {x} ->> '$' ELSE {x}[2:-2] END"


_NUM_START = "('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')"
# A number DuckDB prints as Python's str() does: Python switches to an exponent below 1e-4 and from 1e16 on,
# DuckDB does not, so those (and any exponent) go to the Python path.
_PLAIN_NUMBER = "-?([0-9]+|[1-9][0-9]{0,15}[.][0-9]+|0[.]0{0,3}[1-9][0-9]*|0[.]0)"


def _finite_sql(x: str) -> str:
    """A JSON value as a finite DOUBLE if it is a JSON number, else NULL (mirrors ``_finite``)."""
    text = f"({x}::VARCHAR)"
    return (f"CASE WHEN {_first(text)} IN {_NUM_START} AND isfinite(TRY_CAST({text} AS DOUBLE)) "
            f"THEN TRY_CAST({text} AS DOUBLE) END")


# The decision is parsed straight into the candidates regret needs (a second parse of a real decision, with its
# votes and neighbours, made ingest ~25% slower). A non-object decision also parses to a struct, so the check
# only lets through a decision that is absent/null or has a candidates list; the rest go to the Python path.
_DECISION_TYPE = '{"candidates":[{"model":"JSON","exp_score":"JSON"}]}'
# What regret needs, typed once at ingest (parsing JSON per row at query time was the dashboard's slowest
# panel): a route's candidate estimates and an outcome's best oracle score. Mirrors ``_regret_inputs``.
_REGRET_SQL = {
    "est_scores": "CASE WHEN event = 'route' THEN list_transform(list_filter(x_decision.candidates, "
                  f"lambda c: {_first('(c.model::VARCHAR)')} = '\"'), "
                  f"lambda c: {{'model': {_text('(c.model::VARCHAR)')}, 'exp_score': {_finite_sql('c.exp_score')}}}) END",
    "oracle_best": "CASE WHEN event = 'outcome' AND json_type(x_oracle_scores) = 'OBJECT' THEN "
                   f"list_max(list_transform(json_extract(x_oracle_scores, '$.*'), lambda s: {_finite_sql('s')})) END",
}
_CHECKS = {
    "str": lambda x: f"({x} IS NULL OR {_first(x)} = '\"')",
    "num": lambda x: f"({x} IS NULL OR {_first(x)} IN {_NUM_START})",
    "scalar": lambda x: f"({x} IS NULL OR {_first(x)} = '\"' OR regexp_full_match({x}, '{_PLAIN_NUMBER}'))",
    "obj": lambda x: f"({x} IS NULL OR {_first(x)} = '{{')",
    "decision": lambda x: "(x_decision IS NULL OR x_decision.candidates IS NOT NULL)",
    "exit": lambda x: f"({x} IS NULL OR regexp_full_match({x}, '-?[0-9]+|true|false'))",
    "version": lambda x: (f"(CASE WHEN {x} IS NULL THEN NOT regexp_matches(raw, '\"v\"\\s*:\\s*null') "
                          f"ELSE regexp_full_match({x}, '[0-9]+') AND TRY_CAST({x} AS INTEGER) >= 1 END)"),
}


def _insert_sql(tolerant: bool, rejected: bool = False) -> str:
    """DuckDB parses each line once (json_transform to JSON-typed fields) and checks types by first char.

    The checks are a conservative mirror of ``schema.normalize``: anything they do not accept goes to the
    Python path, which has the last word. ``tolerant`` wraps the parse in TRY (per-row fallback inside
    DuckDB) for batches where the plain parse failed; ``rejected`` selects the lines that were not taken.
    """
    struct = "{" + ",".join(f'"{k}":' + (_DECISION_TYPE if kind == "decision" else '"JSON"')
                            for k, kind in _FIELDS.items()) + "}"
    parse = f"json_transform(raw, '{struct}')"
    if tolerant:
        parse = f"TRY({parse})"
    x = {k: f"(x_{k}::VARCHAR)" for k in _FIELDS}
    seed = (f"({x['event']} IS NULL AND {x['timestamp']} IS NOT NULL AND {x['model']} IS NOT NULL "
            "AND NOT regexp_matches(raw, '\"event\"\\s*:\\s*null'))")
    kinds = ", ".join(f"'{k}'" for k in EVENT_KINDS)
    checks = ["starts_with(raw, '{')", "ts_value IS NOT NULL", f"event IN ({kinds})",
              "(score IS NULL OR score BETWEEN 0 AND 1)", "tokens_ok"]
    checks += [_CHECKS[kind](x[k]) for k, kind in _FIELDS.items() if kind in _CHECKS]
    checks.append(f"(NOT seed OR ({x['ts']} IS NULL AND {x['task']} IS NULL AND {x['v']} IS NULL "
                  f"AND {_CHECKS['str'](x['timestamp'])} AND {_CHECKS['str'](x['task_hint'])}))")
    tok = "{" + ",".join(f'"{k}":"JSON"' for k in _TOKENS) + "}"
    ts_pattern = ("[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
                  "(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?")
    strings = ", ".join(f"{_text(x[k])} AS {k}" for k, kind in _FIELDS.items() if kind == "str"
                        and k not in ("event", "task", "ts"))
    numbers = ", ".join(f"TRY_CAST({x[k]} AS DOUBLE) AS {k}" for k in ("propensity", "score", "cost_usd",
                                                                      "latency_ms"))
    tokens = ", ".join(f"TRY_CAST(t.{k}::VARCHAR AS BIGINT) AS tokens_{k}" for k in _TOKENS)
    tokens_ok = " AND ".join(f"(t.{k} IS NULL OR regexp_full_match(t.{k}::VARCHAR, '[0-9]+'))" for k in _TOKENS)
    ts_text = f"CASE WHEN seed THEN {_text(x['timestamp'])} ELSE {_text(x['ts'])} END"
    select = f"""
WITH parsed AS (
    SELECT line, raw, {parse} AS j FROM _batch
), fields AS (
    SELECT line, raw, {", ".join(f"j.{k} AS x_{k}" for k in _FIELDS)} FROM parsed
), seeded AS (
    SELECT *, {seed} AS seed,
           CASE WHEN x_tokens IS NULL THEN NULL ELSE json_transform(x_tokens, '{tok}') END AS t
    FROM fields
), typed AS (
    SELECT *,
           COALESCE(TRY_CAST({x['v']} AS INTEGER), 1) AS v,
           CASE WHEN seed THEN 'tool' ELSE {_text(x['event'])} END AS event,
           CASE WHEN seed THEN NULLIF({_text(x['task_hint'])}, '') ELSE {_text(x['task'])} END AS task,
           CASE WHEN {_first(x['difficulty'])} = '\"' THEN {_text(x['difficulty'])}
                ELSE {x['difficulty']} END AS difficulty,
           {strings}, {numbers}, {tokens},
           CASE {x['exit_code']} WHEN 'true' THEN 1 WHEN 'false' THEN 0
                ELSE TRY_CAST({x['exit_code']} AS BIGINT) END AS exit_code,
           CASE WHEN {_first(x['status'])} = '\"' THEN {_text(x['status'])} ELSE {x['status']} END AS status,
           COALESCE({tokens_ok}, true) AS tokens_ok,
           CASE WHEN regexp_full_match(ts_text, '{ts_pattern}')
                THEN TRY_CAST(TRY_CAST(ts_text AS TIMESTAMPTZ) AS TIMESTAMP) END AS ts_value
    FROM (SELECT *, {ts_text} AS ts_text FROM seeded)
)"""
    ok = f"COALESCE({' AND '.join(checks)}, false)"
    if rejected:
        return f"{select}\nSELECT line, raw FROM typed WHERE NOT {ok} AND trim(raw, ' ' || chr(9)) <> '' ORDER BY line"
    columns = ", ".join(f"{_REGRET_SQL[c]} AS {c}" if c in _REGRET_SQL else c for c in _EVENT_COLUMNS)
    return (f"INSERT INTO events (log, file, inode, line, ts, {', '.join(_EVENT_COLUMNS)}, raw)\n{select}\n"
            f"SELECT ?, ?, ?, line, ts_value, {columns}, raw FROM typed WHERE {ok}")


_ROW_COLUMNS = ("log", "file", "inode", "line", "ts", *_EVENT_COLUMNS, "raw")
_ROW_TYPES = {  # other columns are strings
    "inode": pa.uint64(), "line": pa.int64(), "ts": pa.timestamp("us"), "v": pa.int32(),
    "propensity": pa.float64(), "score": pa.float64(), "cost_usd": pa.float64(), "latency_ms": pa.float64(),
    "exit_code": pa.int64(), **{f"tokens_{k}": pa.int64() for k in _TOKENS},
    "est_scores": pa.list_(pa.struct([("model", pa.string()), ("exp_score", pa.float64())])),
    "oracle_best": pa.float64(),
}
_ROW_SCHEMA = pa.schema([(name, _ROW_TYPES.get(name, pa.string())) for name in _ROW_COLUMNS])
_FAST_SQL = _insert_sql(tolerant=False)
_TOLERANT_SQL = _insert_sql(tolerant=True)
_REJECTED_SQL = _insert_sql(tolerant=True, rejected=True)


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


def _line_table(data: bytes, size: int, first_line: int) -> tuple[pa.Table, int] | None:
    """The complete lines in ``data[:size]`` (newlines dropped) as an Arrow string column, and how many are
    not empty; None if the bytes are not UTF-8. Record batches of ``BATCH_ROWS`` let DuckDB use every core.
    """
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8, count=size) == 10)
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends - np.arange(len(ends))  # each line's end once the newlines before it are gone
    # The values buffer may run past the last line (the partial line after ``size`` has no newline to drop).
    raw = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data.replace(b"\n", b"")))
    try:
        raw.validate(full=True)
    except pa.ArrowInvalid:
        return None
    lines = pa.array(np.arange(first_line, first_line + len(ends), dtype=np.int64))
    table = pa.table({"line": lines, "raw": raw})
    nonblank = len(ends) - int(np.count_nonzero(np.diff(offsets) == 0))
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS)), nonblank


_INT64 = 2**63


def _int(record: dict, key: str, value: object, limit: int = _INT64) -> int | None:
    if value is None:
        return None
    if not -limit <= value < limit:
        raise SchemaError(f"{key}: {value} is out of range")
    return int(value)


def _float(value: object) -> float | None:
    return None if value is None else float(value)


def _finite(value: object) -> float | None:
    """A JSON number as a finite float, else None (booleans, strings and overflow are not scores)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _regret_inputs(record: dict) -> tuple[list[dict] | None, float | None]:
    """A route's candidate estimates (those naming a model) and an outcome's best oracle score."""
    if record["event"] == "route":
        candidates = (record.get("decision") or {}).get("candidates")
        if isinstance(candidates, list):
            return [{"model": c["model"], "exp_score": _finite(c.get("exp_score"))} for c in candidates
                    if isinstance(c, dict) and isinstance(c.get("model"), str)], None
    elif record["event"] == "outcome" and isinstance(record.get("oracle_scores"), dict):
        scores = [s for s in map(_finite, record["oracle_scores"].values()) if s is not None]
        return None, max(scores, default=None)
    return None, None


def _event_row(record: dict, raw: str, log: str, source: str, inode: int, line: int) -> tuple:
    """The ``events`` row for a record ``normalize`` accepted (same columns the bulk SQL produces)."""
    get = record.get
    tokens = get("tokens") or {}
    difficulty, status = get("difficulty"), get("status")
    if status is not None and not isinstance(status, str):
        status = json.dumps(status, separators=(",", ":"))
    return (
        log, source, inode, line, parse_ts(record["ts"]).replace(tzinfo=None), _int(record, "v", record["v"], 2**31),
        record["event"],
        get("task_id"), get("task"), get("dimension"), get("language"),
        None if difficulty is None else str(difficulty), get("model"), get("profile"), get("router"),
        _float(get("propensity")), _float(get("score")),
        _int(record, "tokens.input", tokens.get("input")),
        _int(record, "tokens.cached_input", tokens.get("cached_input")),
        _int(record, "tokens.output", tokens.get("output")),
        _int(record, "tokens.reasoning", tokens.get("reasoning")),
        _float(get("cost_usd")), _float(get("latency_ms")), _int(record, "exit_code", get("exit_code")),
        get("session_id"), get("turn_id"), get("cwd"), get("tool"), status, *_regret_inputs(record), raw,
    )


def _judge_line(text: bytes, log: str, source: str, inode: int, line: int) -> tuple[tuple | None, str | None]:
    """The authoritative (Python) verdict on one line: its ``events`` row, or why it is malformed."""
    try:
        raw = text.decode("utf-8").removeprefix("\ufeff")  # a BOM some editors put before the first line
        record = normalize(json.loads(raw))
        return _event_row(record, raw, log, source, inode, line), None
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at column {exc.colno}"
    except SchemaError as exc:
        return None, str(exc)


def _first_line_hash(path: str | Path) -> str | None:
    """Hash of the first complete line (None while the file has none): tells an overwrite from growth."""
    with open(path, "rb") as handle:
        head = handle.read(FIRST_LINE_LIMIT)
    end = head.find(b"\n")
    return hashlib.sha256(head[: end + 1]).hexdigest() if end >= 0 else None


def _find_inode(directory: Path, device: int, inode: int) -> Path | None:
    """Where a rotated-away file went (lnav: same device + inode), if it is still in the folder."""
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    if st.st_ino == inode and st.st_dev == device:
                        return Path(entry.path)
    except OSError:
        return None
    return None


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

    def poll(self) -> IngestResult:
        """Read whatever is new in every file; stat-only when nothing changed."""
        result = IngestResult()
        with self.store.write_lock:
            self._touched.clear()
            for path in self.paths:
                result += self._poll_file(path)
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
                old = _find_inode(Path(path).parent, state.device, state.inode)
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
        with open(source, "rb") as handle:
            while True:
                handle.seek(state.offset)
                data = handle.read(self.chunk_bytes)
                end = data.rfind(b"\n")
                while end < 0 and len(data) and len(data) % self.chunk_bytes == 0:
                    more = handle.read(self.chunk_bytes)  # one line longer than a chunk
                    if not more:
                        break
                    data += more
                    end = data.rfind(b"\n")
                if end < 0:
                    return result
                result += self._ingest_chunk(data, end + 1, source, state)

    def _ingest_chunk(self, data: bytes, size: int, source: str, state: FileState) -> IngestResult:
        """Bulk SQL for big batches (a batch DuckDB cannot parse whole is retried with per-row tolerance);
        Python for small ones, where a query plan costs more than the lines. Rows and the new offset
        commit together, so a crash never loses or repeats a line. Only ``data[:size]`` is read (whole lines);
        the partial line after it is not copied away.
        """
        con = self.store.con
        first_line = state.lines + 1
        count = data.count(b"\n", 0, size)
        lined = _line_table(data, size, first_line) if count > self.small_batch else None
        advanced = replace(state, offset=state.offset + size, lines=state.lines + count)
        if lined is not None:
            con.register("_batch", lined[0])
        try:
            for tolerant in (False, True):
                con.execute("BEGIN")
                try:
                    if lined is None:  # a small batch, or not UTF-8 somewhere
                        lines = data[:size].split(b"\n")[:-1]
                        chunk = self._slow_path(source, state, [(first_line + i, raw) for i, raw in enumerate(lines)])
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
        inserted = con.execute(_TOLERANT_SQL if tolerant else _FAST_SQL,
                               [state.path, source, state.inode]).fetchall()[0][0]
        if inserted == nonblank:
            return IngestResult(inserted, 0)
        rejected = con.execute(_REJECTED_SQL).fetchall()
        slow = self._slow_path(source, state, [(line, raw.encode("utf-8")) for line, raw in rejected])
        return IngestResult(inserted + slow.new_events, slow.new_malformed)

    def _slow_path(self, source: str, state: FileState, lines: list[tuple[int, bytes]]) -> IngestResult:
        """Python's verdict per line: malformed ones are kept aside, accepted ones appended as Arrow."""
        rows, malformed = [], []
        for line, raw in lines:
            if not raw.strip():
                continue
            row, error = _judge_line(raw, state.path, source, state.inode, line)
            if row is None:
                text = raw[:MALFORMED_TEXT_LIMIT].decode("utf-8", errors="replace")
                malformed.append((state.path, source, state.inode, line, error, text))
            else:
                rows.append(row)
        con = self.store.con
        if rows:
            table = pa.Table.from_arrays([pa.array(column, type=field.type) for column, field
                                          in zip(zip(*rows, strict=True), _ROW_SCHEMA, strict=True)],
                                         schema=_ROW_SCHEMA)
            con.register("_rows", table)
            try:
                con.execute(f"INSERT INTO events ({', '.join(_ROW_COLUMNS)}) SELECT * FROM _rows")
            finally:
                con.unregister("_rows")
        if malformed:
            con.executemany("INSERT INTO malformed VALUES (?, ?, ?, ?, ?, ?)", malformed)
        return IngestResult(len(rows), len(malformed))

    def _save_state(self, state: FileState) -> None:
        self.store.execute(
            "INSERT OR REPLACE INTO log_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [state.path, state.device, state.inode, state.offset, state.lines, state.first_hash, state.size,
             state.mtime_ns])
