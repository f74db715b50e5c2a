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
its JSON functions (a conservative mirror of ``schema.normalize``) and appends in one INSERT. Only the lines
DuckDB does not accept go through ``schema.normalize`` in Python, which decides: a bad line is kept in
``malformed`` with its file, line number and the reason. Small batches (a live append of a few lines) go
straight to the Python path, because planning the bulk query costs more than the lines themselves.

The line itself is not copied into the store: a row keeps its file, byte offset, length and a hash, and
``original_lines`` reads it back from the log (found again after a rename or copytruncate rotation; a line
rewritten or deleted since is reported as gone, never replaced by another).
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import stat
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from analytics.prices import PriceBook, import_catalogue_in_background
from analytics.schema import EVENT_KINDS, NUMBER_RANGES, SchemaError, loads_line, normalize, parse_ts
from analytics.store import Store

CHUNK_BYTES = 512 * 1024 * 1024  # a transaction; each chunk ends with one core idle on its last row group
BATCH_ROWS = 122880  # DuckDB's row group: appended whole, no merging of small batches
PARALLEL_READ = 16 * 1024 * 1024  # bytes; a smaller read is not worth a second thread
SMALL_BATCH = 5000  # lines; below this Python is faster than planning the bulk query
FIRST_LINE_LIMIT = 1024 * 1024
MALFORMED_TEXT_LIMIT = 2000
READ_BLOCK = 16 * 1024 * 1024  # reading lines back from a log

# Top-level keys parsed in the fast path, with the check that mirrors schema.CORE_KEYS ("any": carried only).
# "str" keys are typed VARCHAR by DuckDB's parser itself (decoded text, no copy); the others arrive as JSON text.
_FIELDS: dict[str, str] = {
    "v": "version", "ts": "ts", "event": "event", "task_id": "str", "task": "str", "dimension": "str",
    "language": "str", "difficulty": "scalar", "model": "str", "profile": "str", "router": "str",
    "propensity": "num", "score": "num", "decision": "decision", "verifier": "obj", "tokens": "tokens",
    "cost_usd": "num", "latency_ms": "num", "exit_code": "exit", "session_id": "str", "turn_id": "str",
    "cwd": "str", "tool": "str", "status": "any", "timestamp": "ts", "task_hint": "str", "oracle_scores": "any",
}
_TOKENS = ("input", "cached_input", "output", "reasoning", "cache_write")
_EVENT_COLUMNS = ("v", "event", "task_id", "task", "dimension", "language", "difficulty", "model", "profile",
                  "router", "propensity", "score", "tokens_input", "tokens_cached_input", "tokens_output",
                  "tokens_reasoning", "tokens_cache_write", "cost_usd", "latency_ms", "exit_code", "session_id", "turn_id", "cwd",
                  "tool", "status", "est_scores", "oracle_best")
# Where the line is instead of the line: the log stays the one copy (see ``original_lines``).
_LOCATION_COLUMNS = ("byte_offset", "byte_length", "line_hash")


def _first(x: str) -> str:
    return f"left({x}, 1)"


def _text(x: str) -> str:
    """A JSON string value as text: slice off the quotes unless it holds an escape (rare)."""
    return f"CASE WHEN contains({x}, '\\') THEN {x} ->> '$' ELSE {x}[2:-2] END"


# A number DuckDB prints as Python's str() does: Python switches to an exponent below 1e-4 and from 1e16 on,
# DuckDB does not, so those (and any exponent) go to the Python path.
_PLAIN_NUMBER = "-?([0-9]+|[1-9][0-9]{0,15}[.][0-9]+|0[.]0{0,3}[1-9][0-9]*|0[.]0)"


# What DuckDB's parser makes of a number it is asked for as VARCHAR: its JSON text (it also takes inf/nan in
# any case, Python's parser does not).
_NUMBER_TEXT = "-?[0-9][-+.eE0-9]*|-?(?i:inf|infinity|nan)"


# First characters of the text DuckDB makes of a non-string (digits, '-', '{', '[', true/false, inf/nan): one
# integer test settles the many values that start otherwise.
_SUSPECT_FIRST = ", ".join(str(ord(c)) for c in "0123456789-{[tfinIN")


def _from_non_string(x: str) -> str:
    """Could this VARCHAR-typed value be a non-string DuckDB turned into text (5 -> '5', true -> 'true')? Such
    values, and the rare real strings that look like them ("42", "true"), go to the Python path. Cheap tests
    on the first byte settle most values; CASE runs the rest only on the rows that get that far."""
    return (f"CASE WHEN unicode({x}) NOT IN ({_SUSPECT_FIRST}) THEN false "
            f"WHEN ({x} >= '0' AND {x} < ':') OR prefix({x}, '-') THEN regexp_full_match({x}, '{_NUMBER_TEXT}') "
            f"WHEN prefix({x}, '{{') OR prefix({x}, '[') OR {x} IN ('true', 'false') THEN true "
            f"WHEN {_first(x)} IN ('i', 'I', 'n', 'N') THEN lower({x}) IN ('inf', 'infinity', 'nan') ELSE false END")


def _finite_sql(x: str) -> str:
    """A JSON value as a finite DOUBLE if it is a JSON number, else NULL (mirrors ``_finite``). The JSON text of
    a string, bool, object or array does not cast; DuckDB orders NaN above infinity, so one comparison drops
    nan, inf and a number too big for a double (1e400)."""
    number = f"TRY_CAST({x}::VARCHAR AS DOUBLE)"
    return f"CASE WHEN abs({number}) < 'inf'::DOUBLE THEN {number} END"


# The decision is parsed straight into the candidates regret needs (a second parse of a real decision, with its
# votes and neighbours, made ingest ~25% slower). A non-object decision also parses to a struct, so the check
# only lets through a decision that is absent/null or has a candidates list; the rest go to the Python path.
_DECISION_TYPE = '{"candidates":[{"model":"JSON","exp_score":"JSON"}]}'
# Likewise the token counts (a non-object also parses to a struct, of NULLs: sent to Python unless one is set).
_TOKENS_TYPE = "{" + ",".join(f'"{k}":"JSON"' for k in _TOKENS) + "}"
_TYPES = {"str": '"VARCHAR"', "ts": '"VARCHAR"', "event": '"VARCHAR"', "decision": _DECISION_TYPE,
          "tokens": _TOKENS_TYPE}
# What regret needs, typed once at ingest (parsing JSON per row at query time was the dashboard's slowest
# panel): a route's candidate estimates and an outcome's best oracle score. Mirrors ``_regret_inputs``. (The
# parsed event, not the seed-aware one, is enough: a seed-format line is a tool event.)
_REGRET_SQL = {
    "est_scores": "CASE WHEN x_event = 'route' THEN list_transform(list_filter(x_decision.candidates, "
                  "lambda c: prefix(c.model::VARCHAR, '\"')), "
                  f"lambda c: {{'model': c.model ->> '$', 'exp_score': {_finite_sql('c.exp_score')}}}) END",
    "oracle_best": "CASE WHEN x_event = 'outcome' AND json_type(x_oracle_scores) = 'OBJECT' THEN "
                   f"list_max(list_transform(json_extract(x_oracle_scores, '$.*'), lambda s: {_finite_sql('s')})) END",
}
# The writer's own timestamps (``schema.utc_now_iso``: 2026-11-30T04:20:55.123Z) by one strptime, three times
# cheaper than the regex that keeps other spellings equal to ``schema.parse_ts``. The guards shut out what
# strptime takes and Python does not (whitespace around it); anything else it refuses takes the regex. Year 0
# is refused before either (DuckDB reads it as 1 BC, Python not at all).
_WRITER_TS = ("CASE WHEN strlen(ts_text) = 24 AND ts_text >= '0' AND ts_text < ':' AND suffix(ts_text, 'Z') "
              "THEN TRY_STRPTIME(ts_text, '%Y-%m-%dT%H:%M:%S.%gZ') END")
_TOKEN_OK = " AND ".join(f"(t.{k} IS NULL OR (regexp_full_match(t.{k}::VARCHAR, '[0-9]+') "
                         f"AND TRY_CAST(t.{k}::VARCHAR AS BIGINT) IS NOT NULL))" for k in _TOKENS)


# NaN / Infinity spelled as a value anywhere in the line (DuckDB's parser takes them in any case): Python has the
# last word on such lines (they are not JSON). A match inside a string only costs that line the slower path.
# The regex runs only on lines that hold "nan" or "inf" in some case at all: two ILIKEs cost a third of it.
_NON_FINITE = ("CASE WHEN raw ILIKE '%nan%' OR raw ILIKE '%inf%' "
               "THEN regexp_matches(raw, '[:,\\[]\\s*-?(?i:nan|inf)') ELSE false END")


def _absent_or(x: str, check: str) -> str:
    """``check`` where ``x`` is set, true where not. A CASE, not an OR: DuckDB evaluates both sides of an OR
    that is computed as a value, and most keys are absent from most lines."""
    return f"CASE WHEN {x} IS NULL THEN true ELSE {check} END"


_CHECKS = {
    "str": lambda x: _absent_or(x, f"NOT {_from_non_string(x)}"),
    "num": lambda x: _absent_or(x, f"({x} >= '0' AND {x} < ':') OR ({x} >= '-0' AND {x} < '-:')"),
    "scalar": lambda x: _absent_or(x, f"prefix({x}, '\"') OR regexp_full_match({x}, '{_PLAIN_NUMBER}')"),
    "obj": lambda x: _absent_or(x, f"prefix({x}, '{{')"),
    "decision": lambda x: _absent_or("x_decision", "x_decision.candidates IS NOT NULL"),
    "tokens": lambda x: _absent_or("x_tokens", f"COALESCE({', '.join(f't.{k}' for k in _TOKENS)}) IS NOT NULL "
                                               f"AND {_TOKEN_OK}"),
    "exit": lambda x: _absent_or(x, f"{x} IN ('0', '1') OR regexp_full_match({x}, '-?[0-9]+|true|false')"),
    "version": lambda x: (f"(CASE WHEN {x} = '1' THEN true WHEN {x} IS NULL "
                          "THEN NOT regexp_matches(raw, '\"v\"\\s*:\\s*null') "
                          f"ELSE regexp_full_match({x}, '[0-9]+') AND TRY_CAST({x} AS INTEGER) >= 1 END)"),
}


def _insert_sql(tolerant: bool, rejected: bool = False) -> str:
    """DuckDB parses each line once (json_transform: strings typed, the rest as JSON text checked by first char).

    The checks are a conservative mirror of ``schema.normalize``: anything they do not accept goes to the
    Python path, which has the last word. ``tolerant`` wraps the parse in TRY (per-row fallback inside
    DuckDB) for batches where the plain parse failed; ``rejected`` selects the lines that were not taken.
    """
    struct = "{" + ",".join(f'"{k}":' + _TYPES.get(kind, '"JSON"') for k, kind in _FIELDS.items()) + "}"
    parse = f"json_transform(raw, '{struct}')"
    if tolerant:
        parse = f"TRY({parse})"
    x = {k: f"x_{k}" if kind in _TYPES else f"(x_{k}::VARCHAR)" for k, kind in _FIELDS.items()}
    seed = (f"CASE WHEN {x['event']} IS NULL AND {x['timestamp']} IS NOT NULL AND {x['model']} IS NOT NULL "
            "THEN NOT regexp_matches(raw, '\"event\"\\s*:\\s*null') ELSE false END")
    kinds = ", ".join(f"'{k}'" for k in EVENT_KINDS)
    checks = ["starts_with(raw, '{')", "ts_value IS NOT NULL", f"event IN ({kinds})", f"NOT {_NON_FINITE}"]
    checks += [_absent_or(k, f"{k} >= {low} AND {k} {'<=' if math.isfinite(high) else '<'} '{high}'::DOUBLE")
               for k, (low, high) in NUMBER_RANGES.items()]  # mirrors schema._check_number (NaN fails both)
    checks += [_CHECKS[kind](x[k]) for k, kind in _FIELDS.items() if kind in _CHECKS and k not in ("task_hint",)]
    checks.append(f"CASE WHEN seed THEN {x['ts']} IS NULL AND {x['task']} IS NULL AND {x['v']} IS NULL "
                  f"AND {_CHECKS['str'](x['task_hint'])} ELSE true END")
    ts_pattern = ("[0-9]{4}-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3]):[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
                  "(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?")
    strings = ", ".join(f"{x[k]} AS {k}" for k, kind in _FIELDS.items() if kind == "str"
                        and k not in ("task", "task_hint"))
    numbers = ", ".join(f"TRY_CAST({x[k]} AS DOUBLE) AS {k}" for k in ("propensity", "score", "cost_usd",
                                                                      "latency_ms"))
    tokens = ", ".join(f"TRY_CAST(t.{k}::VARCHAR AS BIGINT) AS tokens_{k}" for k in _TOKENS)
    select = f"""
WITH parsed AS (
    SELECT line, pos, raw, {parse} AS j FROM _batch
), fields AS (
    SELECT line, pos, raw, {", ".join(f"j.{k} AS x_{k}" for k in _FIELDS)}, j.tokens AS t FROM parsed
), seeded AS (
    SELECT *, {seed} AS seed FROM fields
), typed AS (
    SELECT *,
           COALESCE(TRY_CAST({x['v']} AS INTEGER), 1) AS v,
           CASE WHEN seed THEN 'tool' ELSE {x['event']} END AS event,
           CASE WHEN seed THEN NULLIF({x['task_hint']}, '') ELSE {x['task']} END AS task,
           CASE WHEN {_first(x['difficulty'])} = '\"' THEN {_text(x['difficulty'])}
                ELSE {x['difficulty']} END AS difficulty,
           {strings}, {numbers}, {tokens},
           CASE {x['exit_code']} WHEN 'true' THEN 1 WHEN 'false' THEN 0
                ELSE TRY_CAST({x['exit_code']} AS BIGINT) END AS exit_code,
           CASE WHEN {_first(x['status'])} = '\"' THEN {_text(x['status'])} ELSE {x['status']} END AS status,
           CASE WHEN prefix(ts_text, '0000') THEN NULL
                ELSE COALESCE({_WRITER_TS},
                              CASE WHEN NOT regexp_full_match(ts_text, '{ts_pattern}') THEN NULL
                                   WHEN suffix(ts_text, 'Z') THEN TRY_CAST(ts_text AS TIMESTAMP)
                                   ELSE TRY_CAST(TRY_CAST(ts_text AS TIMESTAMPTZ) AS TIMESTAMP) END) END AS ts_value
    FROM (SELECT *, CASE WHEN seed THEN {x['timestamp']} ELSE {x['ts']} END AS ts_text FROM seeded)
)"""
    # One expression: as separate WHERE terms, each would be pushed into the scan with its own parse.
    ok = f"COALESCE({' AND '.join(checks)}, false)"
    if rejected:
        return (f"{select}\nSELECT line, pos, raw FROM typed WHERE NOT {ok} "
                "AND trim(raw, ' ' || chr(9) || chr(10)) <> '' ORDER BY line")
    columns = ", ".join(f"{_REGRET_SQL[c]} AS {c}" if c in _REGRET_SQL else c for c in _EVENT_COLUMNS)
    return (f"INSERT INTO events (log, file, inode, line, ts, {', '.join(_EVENT_COLUMNS)}, "
            f"{', '.join(_LOCATION_COLUMNS)})\n{select}\n"
            f"SELECT ?, ?, ?, line, ts_value, {columns}, pos, strlen(raw), hash(raw) FROM typed WHERE {ok}")


_ROW_COLUMNS = ("log", "file", "inode", "line", "ts", *_EVENT_COLUMNS, "byte_offset", "text")
_ROW_TYPES = {  # other columns are strings
    "inode": pa.uint64(), "line": pa.int64(), "ts": pa.timestamp("us"), "v": pa.int32(),
    "propensity": pa.float64(), "score": pa.float64(), "cost_usd": pa.float64(), "latency_ms": pa.float64(),
    "exit_code": pa.int64(), **{f"tokens_{k}": pa.int64() for k in _TOKENS},
    "est_scores": pa.list_(pa.struct([("model", pa.string()), ("exp_score", pa.float64())])),
    "oracle_best": pa.float64(), "byte_offset": pa.int64(),
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


def _newlines(view: np.ndarray, lo: int, hi: int, step: int = 4 << 20) -> np.ndarray:
    """Where each line in ``view[lo:hi]`` ends (just after its newline). Slice by slice: one mask of a whole
    chunk is hundreds of MB of fresh memory, several times slower to fill than a cached slice."""
    return np.concatenate([np.flatnonzero(view[i:min(i + step, hi)] == 10) + (i + 1) for i in range(lo, hi, step)]
                          or [np.empty(0, dtype=np.int64)])


def _read_block(fd: int, offset: int, length: int) -> tuple[bytes | mmap.mmap, np.ndarray]:
    """Up to ``length`` bytes of the file at ``offset``, and where each complete line in them ends.

    A big block is read and scanned in two halves on two threads (a cold ingest spends a tenth of its time
    here) into a private anonymous mapping, whose pages are zeroed lazily (filling a bytearray costs what the
    second thread saves; a shared mapping, mmap's default, faults its pages in a fifth slower). The mapping is
    the process's own memory: a log truncated meanwhile only reads short.
    """
    if length < PARALLEL_READ or not hasattr(os, "preadv"):
        data = os.pread(fd, length, offset)
        return data, _newlines(np.frombuffer(data, dtype=np.uint8), 0, len(data))
    block = mmap.mmap(-1, length, flags=mmap.MAP_PRIVATE)
    view = np.frombuffer(block, dtype=np.uint8)
    halves = ((0, length // 2), (length // 2, length))

    def read_half(bounds: tuple[int, int]) -> tuple[int, np.ndarray]:
        lo, hi = bounds
        pos = lo
        while pos < hi:
            got = os.preadv(fd, [view[pos:hi]], offset + pos)
            if got == 0:
                break
            pos += got
        return pos, _newlines(view, lo, pos)

    with ThreadPoolExecutor(len(halves)) as pool:
        read = list(pool.map(read_half, halves))
    ends = [read[0][1]] if read[0][0] < halves[0][1] else [part[1] for part in read]  # short: the file shrank
    return block, np.concatenate(ends)


def _line_table(data: bytes | mmap.mmap, ends: np.ndarray, first_line: int, start: int) -> tuple[pa.Table, int] | None:
    """The complete lines of ``data`` (each with its newline, which JSON parsers skip as whitespace) as an
    Arrow string column beside their line numbers and file offsets (``data`` starts at file offset
    ``start``), and how many are not empty; None if the bytes are not UTF-8. Record batches of
    ``BATCH_ROWS`` let DuckDB use every core.
    """
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends
    # The values buffer may run past the last line (the partial line after ``size``).
    raw = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        raw.validate(full=True)
    except pa.ArrowInvalid:
        return None
    lines = pa.array(np.arange(first_line, first_line + len(ends), dtype=np.int64))
    table = pa.table({"line": lines, "pos": pa.array(offsets[:-1] + start), "raw": raw})
    nonblank = len(ends) - int(np.count_nonzero(np.diff(offsets) == 1))
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS)), nonblank


def _lines_at(data: bytes | mmap.mmap, ends: np.ndarray, first_line: int, start: int) -> list[tuple[int, int, bytes]]:
    """(line number, file offset, line without its newline) for each line that ``ends`` marks in ``data``."""
    his = ends.tolist()
    los = [0, *his[:-1]]
    return [(first_line + i, start + lo, data[lo:hi - 1]) for i, (lo, hi) in enumerate(zip(los, his, strict=True))]


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


def _event_row(record: dict, text: str, log: str, source: str, inode: int, line: int, pos: int) -> tuple:
    """The ``events`` row for a record ``normalize`` accepted (the bulk SQL's columns; ``text``, the line
    with its newline, becomes its length and hash in SQL)."""
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
        _int(record, "tokens.cache_write", tokens.get("cache_write")),
        _float(get("cost_usd")), _float(get("latency_ms")), _int(record, "exit_code", get("exit_code")),
        get("session_id"), get("turn_id"), get("cwd"), get("tool"), status, *_regret_inputs(record), pos, text,
    )


def _judge_line(data: bytes, log: str, source: str, inode: int, line: int,
                pos: int) -> tuple[tuple | None, str | None]:
    """The authoritative (Python) verdict on one line (without its newline): its ``events`` row, or why it is
    malformed."""
    try:
        text = data.decode("utf-8")
        record = normalize(loads_line(text.removeprefix("\ufeff")))  # a BOM some editors put before line 1
        return _event_row(record, text + "\n", log, source, inode, line, pos), None
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


def _copies(source: str, inode: int) -> list[Path]:
    """Where a line read from ``source`` (inode ``inode``) may be now, most likely first: the same inode at
    ``source`` or elsewhere in its folder (renamed by a rotation), then the files named after it
    (``log.jsonl.1``, ``log.jsonl-20261130``: a copytruncate rotation copies the bytes at the same offsets)."""
    path = Path(source)
    found: list[Path] = []
    try:
        same = os.stat(path).st_ino == inode
        moved = path if same else _find_inode(path.parent, os.stat(path.parent).st_dev, inode)
        found += [moved] if moved else []
        with os.scandir(path.parent) as entries:
            found += sorted(Path(e.path) for e in entries if e.name.startswith(path.name) and e.name != path.name
                            and e.is_file() and Path(e.path) not in found)
    except OSError:
        pass
    return found


def _read_spans(path: Path, starts: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """The bytes at each (start, length) of ``path`` (shorter or empty past its end), in the given order.

    Plain reads of about ``READ_BLOCK`` bytes in offset order (a memory map would crash the process if the
    log were truncated meanwhile); the spans of a block are cut out by Arrow, not one by one in Python.
    """
    order = np.argsort(starts, kind="stable")
    begin, end = starts[order], starts[order] + lengths[order]
    reach = np.maximum.accumulate(end)
    pieces, i = [], 0
    with open(path, "rb") as handle:
        while i < len(order):
            j = max(int(np.searchsorted(reach, begin[i] + READ_BLOCK, side="right")), i + 1)
            handle.seek(int(begin[i]))
            block = handle.read(int(reach[j - 1] - begin[i]))
            lo = np.minimum(begin[i:j] - begin[i], len(block))
            hi = np.minimum(end[i:j] - begin[i], len(block))
            if np.all(lo[1:] == hi[:-1]):  # consecutive lines: the block itself, no copy
                bounds = np.append(lo, hi[-1])
                pieces.append(pa.Array.from_buffers(pa.large_binary(), j - i,
                                                    [None, pa.py_buffer(bounds), pa.py_buffer(block)]))
            elif np.all(lo[1:] >= hi[:-1]):  # no two spans overlap: cut at every bound, keep the rows
                bounds = np.empty(2 * (j - i), dtype=np.int64)
                bounds[0::2], bounds[1::2] = lo, hi
                cut = pa.Array.from_buffers(pa.large_binary(), len(bounds) - 1,
                                            [None, pa.py_buffer(bounds), pa.py_buffer(block)])
                pieces.append(cut.take(pa.array(np.arange(0, len(bounds), 2))))
            else:  # rows of a log read again after a truncation share offsets
                pieces.append(pa.array([block[a:b] for a, b in zip(lo, hi, strict=True)], pa.large_binary()))
            i = j
    spans = pa.concat_arrays(pieces)
    in_order = bool(np.all(order[1:] > order[:-1]))  # usually: rows come in file order
    return spans if in_order else spans.take(pa.array(np.argsort(order, kind="stable")))


LINE_GONE = ("this line is no longer in the log (rotated away, rewritten or deleted since it was read); "
             "rebuild the cache (Store.rebuild) to drop it")


def original_lines(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> pl.Series:
    """The log lines of ``events`` rows (columns file, inode, byte_offset, byte_length, line_hash), read back
    from the logs: the store keeps where a line is, not the line.

    A line is only returned if its bytes still hash to what was ingested; a line rotated away, rewritten or
    deleted since is null (``LINE_GONE``), never some other line.
    """
    found_rows, found_bytes = [], []
    offsets, lengths = rows["byte_offset"].to_numpy(), rows["byte_length"].to_numpy()
    hashes = rows["line_hash"].to_numpy()
    keyed = rows.select("file", "inode").with_row_index("row").group_by("file", "inode").agg("row")
    for source, inode, members in keyed.iter_rows():
        todo = np.asarray(members, dtype=np.int64)
        for candidate in _copies(source, inode):
            try:
                spans = _read_spans(candidate, offsets[todo], lengths[todo])
            except OSError:
                continue
            con.register("_lines", pa.table({"b": spans}))
            try:
                got = con.execute("SELECT hash(b) AS h FROM _lines").fetchnumpy()["h"]
            finally:
                con.unregister("_lines")
            same = got == hashes[todo]
            found_rows.append(todo[same])
            found_bytes.append(spans.filter(pa.array(same)))
            todo = todo[~same]
            if not len(todo):
                break
    where = np.full(rows.height, -1, dtype=np.int64)  # row -> its place among the lines found
    placed = np.concatenate(found_rows) if found_rows else np.empty(0, dtype=np.int64)
    where[placed] = np.arange(len(placed))
    lines = pa.concat_arrays(found_bytes) if found_bytes else pa.array([], pa.large_binary())
    import pyarrow.compute as pc  # ~0.08 s of start-up that only this function needs

    texts = pc.binary_slice(lines, 0, -1).cast(pa.large_string())  # without the newline
    if len(placed) != rows.height or np.any(placed[1:] < placed[:-1]):  # else already one per row, in order
        texts = texts.take(pa.array(where, mask=where < 0))
    raw = pl.Series("raw", texts, dtype=pl.String)
    first = np.flatnonzero(rows["byte_offset"].to_numpy() == 0)  # where a BOM some editors write may be
    return raw.scatter(first, [None if text is None else text.removeprefix("\ufeff") for text in raw[first]])


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
        if not self._priced and self._catalogue is None:  # the new lines' models are priced after the read
            self._catalogue = import_catalogue_in_background()
        with open(source, "rb") as handle:
            fd = handle.fileno()
            while (available := os.fstat(fd).st_size - state.offset) > 0:
                want = min(available, self.chunk_bytes)
                data, ends = _read_block(fd, state.offset, want)
                while not len(ends) and want < available:  # one line longer than a chunk
                    want = min(available, 2 * want)
                    data, ends = _read_block(fd, state.offset, want)
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
        con = self.store.con
        first_line = state.lines + 1
        size, count = int(ends[-1]), len(ends)
        lined = _line_table(data, ends, first_line, state.offset) if count > self.small_batch else None
        advanced = replace(state, offset=state.offset + size, lines=state.lines + count)
        if lined is not None:
            con.register("_batch", lined[0])
        try:
            for tolerant in (False, True):
                con.execute("BEGIN")
                try:
                    if lined is None:  # a small batch, or not UTF-8 somewhere
                        chunk = self._slow_path(source, state, _lines_at(data, ends, first_line, state.offset))
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
        slow = self._slow_path(source, state, [(line, pos, raw.encode("utf-8")[:-1]) for line, pos, raw in rejected])
        return IngestResult(inserted + slow.new_events, slow.new_malformed)

    def _slow_path(self, source: str, state: FileState, lines: list[tuple[int, int, bytes]]) -> IngestResult:
        """Python's verdict per (line number, file offset, line without its newline): malformed ones are kept
        aside, accepted ones appended as Arrow."""
        rows, malformed = [], []
        for line, pos, raw in lines:
            if not raw.strip():
                continue
            row, error = _judge_line(raw, state.path, source, state.inode, line, pos)
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
                con.execute(f"INSERT INTO events ({', '.join(_ROW_COLUMNS[:-1])}, byte_length, line_hash) "
                            "SELECT * EXCLUDE (text), strlen(text), hash(text) FROM _rows")
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
