"""One rollout file -> its session facts and deduplicated per-call token usage: the per-session state machine.

Calls (DESIGN §6): a file with ``token_usage_record`` lines is charged from them, one call per response id.
Otherwise each ``token_count`` whose cumulative total was not seen before is a call: the growth of the total
since the previous event, or its ``last_token_usage`` if the total went *down* (a resumed session counts
afresh). A total seen before is a re-sent event and skipped. Each call goes to the latest
``turn_context.model`` and to its own UTC day, so prices with long-context tiers apply per call.

Forks and sub-agents (``session_meta.forked_from_id``, ``source.subagent``) begin with their parent's history
copied in one burst at the fork instant, carrying the parent's running totals: those lines were charged in
the parent's own file. While the burst lasts (each line within ``FORK_COPY_GAP`` of the previous; the child's
own first call needs a model round trip) its totals only set the baseline the child's totals grow from.
"""

from __future__ import annotations

import json
import mmap
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from analytics.rollout_lines import (
    EMPTY_PAYLOAD,
    Payload,
    Usage,
    as_utc,
    decode,
    moment_of,
    read_rollout,
    usage_counts,
    wanted_lines,
)

_KINDS = ("session_meta", "turn_context", "event_msg", "token_usage_record")
FORK_COPY_GAP = timedelta(seconds=1)


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



def _is_fork(payload: Payload) -> str | None:
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
    data = read_rollout(path)
    try:
        return parse_lines(wanted_lines(data))
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def parse_lines(lines: Iterable[bytes]) -> Session:
    """The state machine over a rollout's usage-bearing lines (see the module docstring). A file with
    ``token_usage_record`` lines is charged from them (its ``token_count`` totals are not calls)."""
    session = Session()
    items = []
    for line in lines:
        item = decode(line)
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
        payload = item.payload or EMPTY_PAYLOAD
        moment = as_utc(item.timestamp) if copying or kind != "turn_context" else None
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
            usage = usage_counts(payload.usage)
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
        total = usage_counts(info.total_token_usage) if info is not None else None
        if total is None or total in seen_totals:
            continue
        seen_totals.add(total)
        if copying or by_record:
            previous = total  # the parent's totals (or a snapshot beside the records): a baseline, no call
            continue
        delta = total if previous is None else tuple(map(operator.sub, total, previous))
        if min(delta) < 0:  # the total went down: a new count began (a resumed session)
            delta = usage_counts(info.last_token_usage) or (0, 0, 0, 0, 0)
        previous = total
        if any(delta):
            session.calls.append((session.model, moment or session.started_at, *delta))
    return session


def _describe(session: Session, payload: Payload, moment: datetime | None) -> None:
    source = payload.source
    session.session_id = payload.id if isinstance(payload.id, str) else None
    session.started_at = moment_of(payload.timestamp) or moment
    session.cwd = payload.cwd
    session.cli_version = payload.cli_version
    session.source = source if isinstance(source, str) or source is None else json.dumps(source)
    session.originator = payload.originator
    session.model_provider = payload.model_provider
    session.forked_from = _is_fork(payload)

