"""Codex rollout files -> session facts, so the cost review covers Codex work that bypassed our router.

Codex writes ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`` (compressed to ``.jsonl.zst`` after a week
idle since 0.137; old ones move to ``archived_sessions/``). Each line is ``{timestamp, type, payload}``:
``session_meta`` (id, cwd, cli_version, source, ...), ``turn_context`` (model), and ``event_msg`` with
``payload.type == "token_count"`` carrying cumulative ``info.total_token_usage``.

Tokens (DESIGN §6): a token event whose cumulative total was already seen is a replay (resumed sessions and
sub-agents repeat history) and is skipped; otherwise the growth of the total since the previous event is
charged to the latest ``turn_context.model`` on that event's day. If the total went *down* (a new context
began), the event's ``last_token_usage`` is charged instead. A file is re-read only when its size or mtime
changed; a session seen in several files (live, compressed, archived) is stored once, by id.
"""

from __future__ import annotations

import io
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from analytics.prices import PriceBook
from analytics.schema import SchemaError, parse_ts
from analytics.store import Store

_USAGE_KEYS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")


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
    # (model, day) -> [input, cached_input, output, reasoning], plus the first timestamp per key
    usage: dict[tuple[str | None, str], list[int]] = field(default_factory=dict)
    first_seen: dict[tuple[str | None, str], datetime] = field(default_factory=dict)
    bad_lines: int = 0


def rollout_files(codex_home: Path) -> list[Path]:
    """Every rollout under ``sessions/`` and ``archived_sessions/``, plain or zstd-compressed."""
    found: list[Path] = []
    for sub in ("sessions", "archived_sessions"):
        root = codex_home / sub
        if root.is_dir():
            found += [p for p in root.rglob("rollout-*.jsonl*") if p.name.endswith((".jsonl", ".jsonl.zst"))]
    return sorted(found)


def _lines(path: Path) -> Iterator[bytes]:
    if path.name.endswith(".zst"):
        import zstandard

        with path.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as reader:
            yield from io.BufferedReader(reader)
    else:
        with path.open("rb") as handle:
            yield from handle


def _usage(obj: object) -> tuple[int, ...] | None:
    if not isinstance(obj, dict):
        return None
    values = tuple(obj.get(k) or 0 for k in _USAGE_KEYS)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        return None
    return values


def parse_rollout(path: Path) -> Session:
    """Session facts and deduplicated per-model, per-day token usage of one rollout file."""
    session = Session()
    previous: tuple[int, ...] | None = None
    seen_totals: set[tuple[int, ...]] = set()
    for line in _lines(path):
        if not line.endswith(b"\n"):
            break  # Codex is still writing this line
        try:
            item = json.loads(line)
            kind, payload = item["type"], item.get("payload") or {}
            moment = parse_ts(item["timestamp"]) if isinstance(item.get("timestamp"), str) else None
        except (ValueError, KeyError, TypeError, SchemaError):
            session.bad_lines += 1
            continue
        if not isinstance(payload, dict):
            continue
        if kind == "session_meta" and session.session_id is None:
            source = payload.get("source")
            session.session_id = payload.get("id")
            session.started_at = _moment(payload.get("timestamp")) or moment
            session.cwd = payload.get("cwd")
            session.cli_version = payload.get("cli_version")
            session.source = source if isinstance(source, str) or source is None else json.dumps(source)
            session.originator = payload.get("originator")
            session.model_provider = payload.get("model_provider")
        elif kind == "turn_context" and isinstance(payload.get("model"), str):
            session.model = payload["model"]
        elif kind == "event_msg" and payload.get("type") == "token_count":
            info = payload.get("info")
            total = _usage(info.get("total_token_usage")) if isinstance(info, dict) else None
            if total is None or total in seen_totals:
                continue
            seen_totals.add(total)
            if previous is not None and all(t >= p for t, p in zip(total, previous, strict=True)):
                delta = tuple(t - p for t, p in zip(total, previous, strict=True))
            elif previous is None:
                delta = total
            else:
                delta = _usage(info.get("last_token_usage")) or (0, 0, 0, 0)
            previous = total
            when = moment or session.started_at
            day = when.date().isoformat() if when else "unknown"
            key = (session.model, day)
            bucket = session.usage.setdefault(key, [0, 0, 0, 0])
            for i, value in enumerate(delta):
                bucket[i] += value
            if when is not None:
                session.first_seen.setdefault(key, when)
    return session


def _moment(value: object) -> datetime | None:
    try:
        return parse_ts(value) if isinstance(value, str) else None
    except SchemaError:
        return None


@dataclass
class RolloutResult:
    files_read: int = 0
    sessions: int = 0
    errors: list[str] = field(default_factory=list)


class RolloutIngester:
    """Keeps the store's ``sessions``/``session_usage`` in step with ``codex_home``'s rollout files."""

    def __init__(self, store: Store, codex_home: Path, prices: PriceBook | None = None) -> None:
        self.store = store
        self.codex_home = Path(codex_home)
        self.prices = prices

    def poll(self) -> RolloutResult:
        result = RolloutResult()
        known = {row[0]: (row[1], row[2]) for row in
                 self.store.execute("SELECT path, size, mtime_ns FROM rollout_files").fetchall()}
        by_session: dict[str, list[tuple[Path, Session]]] = defaultdict(list)
        changed: list[tuple[Path, os.stat_result]] = []
        for path in rollout_files(self.codex_home):
            st = path.stat()
            if known.get(str(path)) != (st.st_size, st.st_mtime_ns):
                changed.append((path, st))
        if not changed:
            return result
        with self.store.write_lock:
            con = self.store.con
            con.execute("BEGIN")
            try:
                for path, st in changed:
                    result.files_read += 1
                    try:
                        session = parse_rollout(path)
                        error = None if session.session_id else "no session_meta line"
                    except (OSError, ValueError) as exc:  # zstd errors are ValueErrors
                        session, error = Session(), f"{type(exc).__name__}: {exc}"
                    if error:
                        result.errors.append(f"{path}: {error}")
                    con.execute("INSERT OR REPLACE INTO rollout_files VALUES (?, ?, ?, ?, ?)",
                                [str(path), st.st_size, st.st_mtime_ns, session.session_id, error])
                    if session.session_id:
                        by_session[session.session_id].append((path, session))
                for copies in by_session.values():
                    # the most complete copy wins (a live file may still grow; archives may be older)
                    path, session = max(copies, key=lambda c: (sum(sum(v) for v in c[1].usage.values()),
                                                               c[0].name.endswith(".jsonl")))
                    self._store(path, session)
                    result.sessions += 1
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            if result.sessions:
                self.store.refresh_prices(self.prices or PriceBook.load())
        return result

    def _store(self, path: Path, session: Session) -> None:
        con = self.store.con
        current = con.execute("SELECT sum(input + output) FROM session_usage WHERE session_id = ?",
                              [session.session_id]).fetchall()[0][0] or 0
        if current > sum(v[0] + v[2] for v in session.usage.values()):
            return  # an older, shorter copy of a session we already hold (e.g. archived snapshot)
        con.execute("DELETE FROM sessions WHERE session_id = ?", [session.session_id])
        con.execute("DELETE FROM session_usage WHERE session_id = ?", [session.session_id])
        started = session.started_at.replace(tzinfo=None) if session.started_at else None
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [session.session_id, str(path), started, session.cwd, session.cli_version,
                     session.source, session.originator, session.model_provider, session.model])
        rows = []
        for (model, day), counts in session.usage.items():
            when = session.first_seen.get((model, day)) or session.started_at
            rows.append([session.session_id, model, None if day == "unknown" else day,
                         when.replace(tzinfo=None) if when else None, *counts])
        if rows:
            con.executemany("INSERT INTO session_usage VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
