"""Codex rollout files -> session facts and per-call token usage, so the cost review covers Codex work that
bypassed our router.

Codex writes ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`` (compressed to ``.jsonl.zst`` after a week
idle since 0.137; old ones move to ``archived_sessions/``). Each line is ``{timestamp, type, payload}``:
``session_meta`` (id, cwd, cli_version, source, forked_from_id, ...), ``turn_context`` (model), ``event_msg``
with ``payload.type == "token_count"`` carrying the cumulative ``info.total_token_usage``, and in newer
versions one ``token_usage_record`` per model response (``response_id``, ``usage``).

Calls (DESIGN §6): a file with ``token_usage_record`` lines is charged from them, one call per response id.
Otherwise each ``token_count`` whose cumulative total was not seen before is a call: the growth of the total
since the previous event, or its ``last_token_usage`` if the total went *down* (a resumed session counts
afresh). A total seen before is a re-sent event and skipped. Each call goes to the latest
``turn_context.model`` and to its own UTC day, so prices with long-context tiers apply per call.

Forks and sub-agents (``session_meta.forked_from_id``, ``source.subagent``) begin with their parent's history
copied in one burst at the fork instant, carrying the parent's running totals: those lines were charged in
the parent's own file. While the burst lasts (each line within ``FORK_COPY_GAP`` of the previous; the child's
own first call needs a model round trip) its totals only set the baseline the child's totals grow from.

Speed: most bytes are ``response_item`` lines without usage. A file is mapped, not read; a line that starts
as Codex writes a response item or a non-usage event is passed over unread, any other is parsed only if it
names one of the four kinds; those are decoded by msgspec into the few fields read here (a line it refuses
is read by ``json`` as before). Files are parsed on every core, rows inserted in bulk.
A file is re-read only when its size or mtime changed; a session seen in several files (live, compressed,
archived) is stored once, by id, from its most complete copy.
"""

from __future__ import annotations

import json
import mmap
import operator
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from analytics.schema import SchemaError, parse_ts

if TYPE_CHECKING:
    from analytics.prices import PriceBook
    from analytics.store import Store

_KINDS = ("session_meta", "turn_context", "event_msg", "token_usage_record")
_MARKERS = re.compile(rb'"(?:session_meta|turn_context|token_count|token_usage_record)"')
# the start of a line Codex writes that holds none of them: a response item, an event other than a token count
_SKIP = re.compile(rb'\{"timestamp":"[^"\\\n]*","type":"(?:response_item"|event_msg","payload":\{"type":"'
                   rb'(?!token_count")[^"\\\n]*")')
FORK_COPY_GAP = timedelta(seconds=1)
PARALLEL_BYTES = 32 * 1024 * 1024  # below this, starting worker processes costs more than it saves
_BATCH_BYTES = 8 * 1024 * 1024  # files handed to a worker at once

Usage = tuple[int, int, int, int, int]


@dataclass
class Session:
    session_id: str | None = None
    started_at: datetime | None = None
    cwd: str | None = None
    cli_version: str | None = None
    source: str | None = None
    originator: str | None = None
    model_provider: str | None = None
    model: str | None = None
    forked_from: str | None = None  # the parent's id, for a fork or a sub-agent
    # one per model call: (model, when, input, cached_input, output, reasoning, cache_write)
    calls: list[tuple[str | None, datetime | None, int, int, int, int, int]] = field(default_factory=list)
    bad_lines: int = 0

    @property
    def usage(self) -> dict[tuple[str | None, str], list[int]]:
        """(model, UTC day) -> [input, cached_input, output, reasoning] summed over the calls."""
        out: dict[tuple[str | None, str], list[int]] = {}
        for model, when, *counts in self.calls:
            bucket = out.setdefault((model, when.date().isoformat() if when else "unknown"), [0, 0, 0, 0])
            for i in range(4):
                bucket[i] += counts[i]
        return out

    def weight(self) -> int:
        """Input + output over all calls: which of two copies of a session is the more complete."""
        return sum(c[2] + c[4] for c in self.calls)


def rollout_files(codex_home: Path) -> list[Path]:
    """Every rollout under ``sessions/`` and ``archived_sessions/``, plain or zstd-compressed."""
    return sorted(Path(path) for path, _ in _rollout_entries(codex_home))


def _rollout_entries(codex_home: Path) -> list[tuple[str, os.stat_result]]:
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


def _read(path: str | Path) -> bytes | mmap.mmap:
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


def _wanted_lines(data: bytes | mmap.mmap) -> list[bytes]:
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
    """Codex's usage object, values as written (``_usage`` checks them)."""

    input_tokens: Any = None
    cached_input_tokens: Any = None
    output_tokens: Any = None
    reasoning_output_tokens: Any = None
    cache_write_input_tokens: Any = None


class _Info(msgspec.Struct):
    total_token_usage: _Counts | None = None
    last_token_usage: _Counts | None = None


class _Payload(msgspec.Struct):
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


class _Line(msgspec.Struct):
    type: Any
    timestamp: datetime | None = None  # decoded by msgspec (RFC 3339); ``_utc`` makes it what parse_ts gives
    payload: _Payload | None = None


_EMPTY = _Payload()
_decode_line = msgspec.json.Decoder(_Line).decode


def _decode(line: bytes) -> _Line | None:
    """One line as a ``_Line``, None if it is not a JSON object with a ``type``. The typed decoder reads only
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
        return _Line(type=None)  # a payload we cannot read: the line is passed over
    payload = {**payload, "usage": _object(payload.get("usage"))}
    info = _object(payload.get("info"))
    if info is not None:
        info = {key: _object(info.get(key)) for key in ("total_token_usage", "last_token_usage")}
    payload["info"] = info
    return msgspec.convert({**item, "timestamp": _moment(item.get("timestamp")), "payload": payload}, _Line)


def _object(value: object) -> dict | None:
    return value if isinstance(value, dict) else None


def _usage(counts: _Counts | None) -> Usage | None:
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


def _utc(moment: datetime | None) -> datetime | None:
    """A decoded time as ``parse_ts`` gives it: aware, in UTC (one without an offset is taken as UTC)."""
    if moment is None or moment.tzinfo is UTC:
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _moment(value: object) -> datetime | None:
    try:
        return parse_ts(value) if isinstance(value, str) else None
    except SchemaError:
        return None


def _is_fork(payload: _Payload) -> str | None:
    """The parent's id if this session_meta starts a fork or a sub-agent (else None)."""
    if isinstance(payload.forked_from_id, str):
        return payload.forked_from_id
    source = payload.source
    subagent = source.get("subagent") if isinstance(source, dict) else None
    if isinstance(subagent, dict):
        spawn = subagent.get("thread_spawn")
        parent = spawn.get("parent_thread_id") if isinstance(spawn, dict) else None
        return parent if isinstance(parent, str) else "subagent"
    return None


def parse_rollout(path: str | Path) -> Session:
    """Session facts and the deduplicated calls of one rollout file."""
    data = _read(path)
    try:
        return parse_lines(_wanted_lines(data))
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def parse_lines(lines: Iterable[bytes]) -> Session:
    """The state machine over a rollout's usage-bearing lines (see the module docstring). A file with
    ``token_usage_record`` lines is charged from them (its ``token_count`` totals are not calls)."""
    session = Session()
    items = []
    for line in lines:
        item = _decode(line)
        if item is None:
            session.bad_lines += 1
        else:
            items.append(item)
    by_record = any(item.type == "token_usage_record" for item in items)
    previous: Usage | None = None
    seen_totals: set[Usage] = set()
    seen_responses: set[str] = set()
    copying = False  # inside a fork's copied burst of parent history
    burst_end: datetime | None = None
    for item in items:
        kind = item.type
        if kind not in _KINDS:
            continue
        payload = item.payload or _EMPTY
        moment = _utc(item.timestamp) if copying or kind != "turn_context" else None
        if copying and moment is not None and burst_end is not None:
            if moment - burst_end > FORK_COPY_GAP:
                copying = False  # a model round trip later: the child's own work
            else:
                burst_end = max(burst_end, moment)
        if kind == "session_meta":
            if session.session_id is None:
                _describe(session, payload, moment)
                copying = session.forked_from is not None
                burst_end = session.started_at
            elif payload.id == session.session_id:
                copying = False  # the child's own meta again: where its copied history ends
            continue
        if kind == "turn_context":
            if isinstance(payload.model, str):
                session.model = payload.model
            continue
        if kind == "token_usage_record":
            response = payload.response_id
            usage = _usage(payload.usage)
            if usage is None or (isinstance(response, str) and response in seen_responses):
                continue
            if isinstance(response, str):
                seen_responses.add(response)
            if not copying:
                model = payload.model if isinstance(payload.model, str) else session.model
                session.calls.append((model, moment or session.started_at, *usage))
            continue
        if payload.type != "token_count":
            continue
        info = payload.info
        total = _usage(info.total_token_usage) if info is not None else None
        if total is None or total in seen_totals:
            continue
        seen_totals.add(total)
        if copying or by_record:
            previous = total  # the parent's totals (or a snapshot beside the records): a baseline, no call
            continue
        delta = total if previous is None else tuple(map(operator.sub, total, previous))
        if min(delta) < 0:  # the total went down: a new count began (a resumed session)
            delta = _usage(info.last_token_usage) or (0, 0, 0, 0, 0)
        previous = total
        if any(delta):
            session.calls.append((session.model, moment or session.started_at, *delta))
    return session


def _describe(session: Session, payload: _Payload, moment: datetime | None) -> None:
    source = payload.source
    session.session_id = payload.id if isinstance(payload.id, str) else None
    session.started_at = _moment(payload.timestamp) or moment
    session.cwd = payload.cwd
    session.cli_version = payload.cli_version
    session.source = source if isinstance(source, str) or source is None else json.dumps(source)
    session.originator = payload.originator
    session.model_provider = payload.model_provider
    session.forked_from = _is_fork(payload)


def _parse_batch(paths: list[str]) -> list[tuple[Session | None, str | None]]:
    """A worker's share: each file's session, or why it could not be read."""
    out: list[tuple[Session | None, str | None]] = []
    for name in paths:
        try:
            out.append((parse_rollout(name), None))
        except (OSError, ValueError) as exc:  # zstd errors are ValueErrors
            out.append((None, f"{type(exc).__name__}: {exc}"))
    return out


Parsed = list[tuple[Session | None, str | None]]


def _start_parse(changed: list[tuple[str, os.stat_result]]) -> tuple[Callable[[], Parsed], Callable[[], None]]:
    """Start parsing ``changed``, on every core when there is enough to read (a fresh interpreter per worker,
    never a fork of a process holding DuckDB's threads): (collect the results in order, give them up)."""
    total = sum(st.st_size for _, st in changed)
    workers = min(os.cpu_count() or 1, 8)
    if total < PARALLEL_BYTES or workers < 2:
        return (lambda: _parse_batch([path for path, _ in changed])), (lambda: None)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    batches: list[list[str]] = [[]]
    size = 0
    for path, st in changed:
        if size >= _BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(path)
        size += st.st_size
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    results = pool.map(_parse_batch, batches)

    def collect() -> Parsed:
        with pool:
            return [result for batch in results for result in batch]

    return collect, lambda: pool.shutdown(wait=False, cancel_futures=True)


class RolloutPrefetch:
    """Every rollout file of ``codex_home``, their parse started at once: for a cache that does not exist yet,
    whose first poll reads them all, so that the parse overlaps loading DuckDB and creating the cache. The
    first poll of an empty cache takes the files and their results (a file that changed meanwhile is seen as
    changed by the next poll); ``close()`` gives up what was not taken."""

    def __init__(self, codex_home: Path) -> None:
        self._entries = sorted(_rollout_entries(Path(codex_home)))
        self._collect: Callable[[], Parsed] | None
        self._collect, self._cancel = _start_parse(self._entries)

    def take(self) -> tuple[list[tuple[str, os.stat_result]], Callable[[], Parsed]] | None:
        """(the files, collect their results), once."""
        if self._collect is None:
            return None
        taken, self._collect = (self._entries, self._collect), None
        return taken

    def close(self) -> None:
        if self._collect is not None:
            self._collect = None
            self._cancel()


def _parse_all(changed: list[tuple[str, os.stat_result]]) -> Parsed:
    """Parse ``changed`` in order (see ``_start_parse``)."""
    return _start_parse(changed)[0]()


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
            changed = [(path, st) for path, st in sorted(_rollout_entries(self.codex_home))
                       if known.get(path) != (st.st_size, st.st_mtime_ns)]
            collect = partial(_parse_all, changed)
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
