"""Routing-log schema v1: the event kinds, their core keys, and how a raw JSON line becomes a record.

The JSON Schema lives beside this module (``routing_log.schema.json``) and is documented in
``docs/routing-log.md``. Records keep every key they arrive with (forward compatibility): readers only
normalise what they understand and carry the rest along untouched.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from analytics.errors import CodexRouterError
from analytics.numbers import is_integer, is_number

SCHEMA_VERSION = 1
EVENT_KINDS = ("route", "outcome", "override", "tool", "turn", "session")
TOKEN_KEYS = ("input", "cached_input", "output", "reasoning", "cache_write")
SCHEMA_PATH = Path(__file__).with_name("routing_log.schema.json")

# Core keys and the Python types a reader accepts for them (None is always accepted).
CORE_KEYS: dict[str, tuple[type, ...]] = {
    "v": (int,),
    "ts": (str,),
    "event": (str,),
    "task_id": (str,),
    "task": (str,),
    "dimension": (str,),
    "language": (str,),
    "difficulty": (str, int, float),
    "model": (str,),
    "profile": (str,),
    "router": (str,),
    "propensity": (int, float),
    "decision": (dict,),
    "score": (int, float),
    "verifier": (dict,),
    "tokens": (dict,),
    "cost_usd": (int, float),
    "latency_ms": (int, float),
    "exit_code": (int,),
    "session_id": (str,),
    "turn_id": (str,),
    "cwd": (str,),
    "tool": (str,),
}

# The seed article's hook writes {timestamp, model, tool, exit_code, task_hint}; it is read as a `tool` event.
SEED_KEYS = frozenset({"timestamp", "model", "tool", "exit_code", "task_hint"})


class SchemaError(CodexRouterError, ValueError):
    """A line that parsed as JSON but is not a usable event; the message names the field."""


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stamp(record: dict[str, Any]) -> dict[str, Any]:
    """Add the schema version and a UTC timestamp if the writer did not set them."""
    out = dict(record)
    out.setdefault("v", SCHEMA_VERSION)
    out.setdefault("ts", utc_now_iso())
    if out.get("event") not in EVENT_KINDS:
        raise SchemaError(f"event: must be one of {', '.join(EVENT_KINDS)}, got {out.get('event')!r}")
    return out


def parse_ts(value: str) -> datetime:
    """ISO 8601 to an aware UTC datetime; a naive timestamp is taken as UTC (the seed writes utcnow())."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SchemaError(f"ts: not an ISO 8601 timestamp: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _from_seed(obj: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in obj.items() if k not in ("timestamp", "task_hint")}
    out["v"] = SCHEMA_VERSION
    out["event"] = "tool"
    out["ts"] = obj["timestamp"]
    if obj.get("task_hint"):
        out["task"] = obj["task_hint"]
    out["seed_format"] = True
    return out


def _first_key_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # a key repeated in one object: its first value, not Python's last
        obj = {}
        for key, value in pairs:
            obj.setdefault(key, value)
    return obj


def _no_constant(name: str) -> Any:
    raise SchemaError(f"not JSON: {name} is not a number in JSON (RFC 8259 has no NaN or Infinity)")


def loads_line(text: str) -> Any:
    """Decode one log line the way the store reads it: of a key repeated within one object the first value
    counts, as in DuckDB's JSON reader (Python's ``json`` keeps the last), so a line means the same thing
    whether the bulk SQL or the Python path ingests it, and when what-if or the priors read it back.
    ``NaN`` and ``Infinity`` (which Python's ``json`` accepts) make the line malformed: they are not JSON."""
    return json.loads(text, object_pairs_hook=_first_key_wins, parse_constant=_no_constant)


# Number keys: (lowest, highest) allowed; every one must also be finite (1e400 parses to infinity).
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "score": (0.0, 1.0), "propensity": (0.0, 1.0), "cost_usd": (0.0, math.inf), "latency_ms": (0.0, math.inf),
}


def _check_number(key: str, value: Any) -> None:
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    low, high = NUMBER_RANGES.get(key, (-math.inf, math.inf))
    if not math.isfinite(number):
        raise SchemaError(f"{key}: must be a finite number, got {value!r}")
    if not low <= number <= high:
        bounds = f"within [{low:g}, {high:g}]" if math.isfinite(high) else f"at least {low:g}"
        raise SchemaError(f"{key}: must be {bounds}, got {value!r}")


def normalize(obj: Any) -> dict[str, Any]:
    """Validate one decoded JSON value and return the record to store (unknown keys kept).

    Raises SchemaError naming the offending field. A schema version newer than ours is accepted when the
    core keys still make sense (newer writers only add keys); its version is kept on the record.
    """
    if not isinstance(obj, dict):
        raise SchemaError(f"line is a JSON {type(obj).__name__}, not an object")
    if "event" not in obj and "timestamp" in obj and SEED_KEYS & obj.keys() >= {"timestamp", "model"}:
        obj = _from_seed(obj)
    record = dict(obj)
    if record.get("event") not in EVENT_KINDS:
        raise SchemaError(f"event: must be one of {', '.join(EVENT_KINDS)}, got {record.get('event')!r}")
    version = record.get("v", SCHEMA_VERSION)
    if not is_integer(version) or version < 1:
        raise SchemaError(f"v: schema version must be a positive integer, got {version!r}")
    record["v"] = version
    if "ts" not in record:
        raise SchemaError("ts: missing")
    for key, types in CORE_KEYS.items():
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool) and bool not in types:
            if key == "exit_code":
                record[key] = int(value)
                continue
            raise SchemaError(f"{key}: expected {'/'.join(t.__name__ for t in types)}, got bool")
        if not isinstance(value, types):
            raise SchemaError(f"{key}: expected {'/'.join(t.__name__ for t in types)}, got {type(value).__name__}")
    if not isinstance(record["ts"], str):
        raise SchemaError("ts: must be a string")
    parse_ts(record["ts"])
    for key in (*NUMBER_RANGES, "difficulty"):
        value = record.get(key)
        if is_number(value):
            _check_number(key, value)
    tokens = record.get("tokens")
    if tokens is not None:
        for key in TOKEN_KEYS:
            count = tokens.get(key)
            if count is not None and (not is_integer(count) or count < 0):
                raise SchemaError(f"tokens.{key}: expected a non-negative integer, got {count!r}")
    return record


@cache
def json_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
