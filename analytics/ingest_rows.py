"""The Python path of ingestion: ``schema.normalize``'s verdict on one line, as an ``events`` row or a reason.

Why its own module: it is the authority the bulk SQL path (``ingest_sql``) defers to, and what a small batch
(a live append) goes through alone.
"""

from __future__ import annotations

import json
import math

import pyarrow as pa

from analytics.ingest_sql import EVENT_COLUMNS, TOKENS
from analytics.numbers import is_number
from analytics.schema import SchemaError, loads_line, normalize, parse_ts

ROW_COLUMNS = ("log", "file", "inode", "line", "ts", *EVENT_COLUMNS, "byte_offset", "text")
ROW_TYPES = {  # other columns are strings
    "inode": pa.uint64(), "line": pa.int64(), "ts": pa.timestamp("us"), "v": pa.int32(),
    "propensity": pa.float64(), "score": pa.float64(), "cost_usd": pa.float64(), "latency_ms": pa.float64(),
    "exit_code": pa.int64(), **{f"tokens_{k}": pa.int64() for k in TOKENS},
    "est_scores": pa.list_(pa.struct([("model", pa.string()), ("exp_score", pa.float64())])),
    "oracle_best": pa.float64(), "byte_offset": pa.int64(),
}
ROW_SCHEMA = pa.schema([(name, ROW_TYPES.get(name, pa.string())) for name in ROW_COLUMNS])


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
    if not is_number(value):
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


def judge_line(data: bytes, log: str, source: str, inode: int, line: int,
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
