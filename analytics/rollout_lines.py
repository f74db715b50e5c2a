"""Codex rollout files, found and read down to the few lines that carry session facts or token usage.

Codex writes ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`` (compressed to ``.jsonl.zst`` after a week
idle since 0.137; old ones move to ``archived_sessions/``). Each line is ``{timestamp, type, payload}``; the
four kinds read are ``session_meta``, ``turn_context``, ``event_msg`` (``token_count``) and
``token_usage_record`` (``analytics.rollout_sessions`` says what each means).

Why its own module: speed. Most bytes are ``response_item`` lines without usage. A file is mapped, not read;
a line that starts as Codex writes a response item or a non-usage event is passed over unread, any other is
parsed only if it names one of the four kinds; those are decoded by msgspec into the few fields read here (a
line it refuses is read by ``json`` as before). Parse workers import only this module and the state machine.
"""

from __future__ import annotations

import json
import mmap
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from analytics.schema import SchemaError, parse_ts

_MARKERS = re.compile(rb'"(?:session_meta|turn_context|token_count|token_usage_record)"')
# the start of a line Codex writes that holds none of them: a response item, an event other than a token count
_SKIP = re.compile(rb'\{"timestamp":"[^"\\\n]*","type":"(?:response_item"|event_msg","payload":\{"type":"'
                   rb'(?!token_count")[^"\\\n]*")')

Usage = tuple[int, int, int, int, int]


def rollout_files(codex_home: Path) -> list[Path]:
    """Every rollout under ``sessions/`` and ``archived_sessions/``, plain or zstd-compressed."""
    return sorted(Path(path) for path, _ in rollout_entries(codex_home))


def rollout_entries(codex_home: Path) -> list[tuple[str, os.stat_result]]:
    """(path, stat) of every rollout file: one ``scandir`` per folder and one ``stat`` per file, so a poll
    that finds nothing new costs a few milliseconds per thousand sessions."""
    found: list[tuple[str, os.stat_result]] = []
    folders = [str(codex_home / "sessions"), str(codex_home / "archived_sessions")]
    while folders:
        try:
            entries = os.scandir(folders.pop())
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.name.startswith("rollout-") and entry.name.endswith((".jsonl", ".jsonl.zst")):
                    try:
                        found.append((entry.path, entry.stat()))
                    except FileNotFoundError:
                        continue  # compressed or archived meanwhile: the next poll finds it
    return found


def read_rollout(path: str | Path) -> bytes | mmap.mmap:
    """The file's bytes: mapped, not copied (only the few usage lines are ever sliced out), or decompressed."""
    if str(path).endswith(".zst"):
        import zstandard

        with zstandard.ZstdDecompressor().stream_reader(Path(path).read_bytes()) as reader:
            return reader.read()
    fd = os.open(path, os.O_RDONLY)
    try:
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except ValueError:  # an empty file cannot be mapped
        return b""
    finally:
        os.close(fd)


def wanted_lines(data: bytes | mmap.mmap) -> list[bytes]:
    """The complete lines that hold one of the quoted type names we read, in file order, without parsing the
    rest. A line that starts as Codex writes a response item or an event other than a token count is passed
    over unread; any other line is searched for the names (a match inside a message text is parsed too and
    then ignored by its type)."""
    skip, search, find = _SKIP.match, _MARKERS.search, data.find
    lines: list[bytes] = []
    start = 0
    while (end := find(b"\n", start)) >= 0:  # an unterminated last line: Codex is still writing it
        if not skip(data, start) and search(data, start, end):
            lines.append(data[start:end])
        start = end + 1
    return lines


class _Counts(msgspec.Struct):
    """Codex's usage object, values as written (``usage_counts`` checks them)."""

    input_tokens: Any = None
    cached_input_tokens: Any = None
    output_tokens: Any = None
    reasoning_output_tokens: Any = None
    cache_write_input_tokens: Any = None


class _Info(msgspec.Struct):
    total_token_usage: _Counts | None = None
    last_token_usage: _Counts | None = None


class Payload(msgspec.Struct):
    """The payload fields of the four line kinds we read, in one shape (absent ones are None)."""

    id: Any = None  # session_meta
    timestamp: Any = None
    cwd: Any = None
    cli_version: Any = None
    source: Any = None
    originator: Any = None
    model_provider: Any = None
    forked_from_id: Any = None
    model: Any = None  # turn_context, token_usage_record
    response_id: Any = None
    usage: _Counts | None = None
    type: Any = None  # event_msg
    info: _Info | None = None


class Line(msgspec.Struct):
    type: Any
    timestamp: datetime | None = None  # decoded by msgspec (RFC 3339); ``as_utc`` makes it what parse_ts gives
    payload: Payload | None = None


EMPTY_PAYLOAD = Payload()
_decode_line = msgspec.json.Decoder(Line).decode


def decode(line: bytes) -> Line | None:
    """One line as a ``Line``, None if it is not a JSON object with a ``type``. The typed decoder reads only
    the fields above; a line it refuses (NaN, a time that is not RFC 3339, or an object where another value
    stands, e.g. a list for ``info``) is read as before it: by ``json``, the time by ``parse_ts``, each
    misshapen part taken as absent."""
    try:
        return _decode_line(line)
    except msgspec.DecodeError:
        pass
    try:
        item = json.loads(line)
    except ValueError:
        return None
    if not isinstance(item, dict) or "type" not in item:
        return None
    payload = item.get("payload") or {}
    if not isinstance(payload, dict):
        return Line(type=None)  # a payload we cannot read: the line is passed over
    payload = {**payload, "usage": _object(payload.get("usage"))}
    info = _object(payload.get("info"))
    if info is not None:
        info = {key: _object(info.get(key)) for key in ("total_token_usage", "last_token_usage")}
    payload["info"] = info
    return msgspec.convert({**item, "timestamp": moment_of(item.get("timestamp")), "payload": payload}, Line)


def _object(value: object) -> dict | None:
    return value if isinstance(value, dict) else None


def usage_counts(counts: _Counts | None) -> Usage | None:
    """Codex's usage object as (input, cached_input, output, reasoning, cache_write) non-negative ints (missing
    keys 0; cached reads and cache writes are inside input, reasoning inside output), else None. Called per
    usage line, so written for speed: ``type(v) is int`` also refuses booleans."""
    if counts is None:
        return None
    values = (counts.input_tokens or 0, counts.cached_input_tokens or 0, counts.output_tokens or 0,
              counts.reasoning_output_tokens or 0, counts.cache_write_input_tokens or 0)
    for value in values:
        if type(value) is not int or value < 0:
            return None
    return values


def as_utc(moment: datetime | None) -> datetime | None:
    """A decoded time as ``parse_ts`` gives it: aware, in UTC (one without an offset is taken as UTC)."""
    if moment is None or moment.tzinfo is UTC:
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def moment_of(value: object) -> datetime | None:
    try:
        return parse_ts(value) if isinstance(value, str) else None
    except SchemaError:
        return None
