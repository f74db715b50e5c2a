"""Synthetic Codex rollout trees whose true usage is known call by call, for the tests and
``benchmarks/bench_rollouts.py`` (one generator, so both check the same shapes).

The files follow DESIGN §6 and what Codex writes: ``session_meta``, ``turn_context``, ``event_msg`` (user and
agent messages, cumulative ``token_count`` events, some re-sent), ``response_item`` lines carrying most of the
bytes, and for newer CLI versions one ``token_usage_record`` per response with ``cache_write_input_tokens``.
The tree holds what makes counting hard: forks (``forked_from_id``) and sub-agents (``source.subagent``) that
open with their parent's history copied in at the fork instant with the parent's running totals, resumed
sessions whose totals start again from zero (and re-send an old event), calls across midnight (UTC), model
switches, long-context calls above a price tier, archived sessions and ``.jsonl.zst`` files.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MODELS = ("gpt-5.4", "gpt-5.3-codex", "gpt-5.2-codex")
START = datetime(2026, 11, 2, tzinfo=UTC)


@dataclass(frozen=True)
class TrueCall:
    session_id: str
    model: str
    when: datetime
    input: int
    cached_input: int
    output: int
    reasoning: int
    cache_write: int
    plain: bool  # written to a .jsonl file (tools that skip .jsonl.zst see it)


@dataclass
class Tree:
    home: Path
    calls: list[TrueCall] = field(default_factory=list)
    sessions: int = 0
    forks: int = 0
    subagents: int = 0
    resumes: int = 0
    files: int = 0
    zst_files: int = 0
    bytes: int = 0

    def totals(self, plain_only: bool = False) -> dict[str, int]:
        """True token sums (input includes cached reads and cache writes; output includes reasoning)."""
        keys = ("input", "cached_input", "output", "reasoning", "cache_write")
        chosen = [c for c in self.calls if c.plain or not plain_only]
        return {k: sum(getattr(c, k) for c in chosen) for k in keys}

    def cost(self, book: Any, plain_only: bool = False) -> float:
        """True USD: each call priced on its own (a long-context tier applies per request)."""
        return sum(book.cost(c.model, c.input, c.cached_input, c.output, cache_write=c.cache_write)
                   for c in self.calls if c.plain or not plain_only)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Writer:
    """One rollout file's lines, its running totals and its calls."""

    def __init__(self, rng: random.Random, session_id: str, payload_bytes: int, records: bool) -> None:
        self.rng = rng
        self.session_id = session_id
        self.payload_bytes = payload_bytes
        self.records = records
        self.lines: list[tuple[datetime, dict]] = []
        self.totals = [0, 0, 0, 0, 0]
        self.calls: list[TrueCall] = []
        self.call_lines: list[int] = []  # where each call's token_count line is
        self.context = rng.randint(6000, 20000)

    def add(self, moment: datetime, kind: str, payload: dict) -> None:
        self.lines.append((moment, {"timestamp": _ts(moment), "type": kind, "payload": payload}))

    def meta(self, moment: datetime, cwd: str, model: str, **extra: Any) -> None:
        self.add(moment, "session_meta", {"id": self.session_id, "timestamp": _ts(moment), "cwd": cwd,
                                          "originator": "codex_cli_rs", "model_provider": "openai",
                                          "cli_version": "0.170.0" if self.records else "0.150.0", **extra})
        self.turn(moment, model, cwd)

    def turn(self, moment: datetime, model: str, cwd: str) -> None:
        self.model = model
        self.add(moment, "turn_context", {"cwd": cwd, "model": model, "effort": "medium",
                                          "approval_policy": "on-request", "summary": "auto"})

    def _blob(self) -> str:
        size = max(16, int(self.rng.expovariate(1 / self.payload_bytes)))
        return base64.b64encode(self.rng.randbytes(size * 3 // 4)).decode()

    def call(self, moment: datetime, long_context: bool = False) -> datetime:
        """One model request: the response items, a token_count (sometimes re-sent), perhaps a record."""
        rng = self.rng
        self.add(moment, "event_msg", {"type": "user_message", "message": "please " + self._blob()[:80]})
        for item in ("reasoning", "function_call", "function_call_output", "message"):
            moment += timedelta(milliseconds=rng.randint(50, 4000))
            self.add(moment, "response_item", {"type": item, "id": f"item_{rng.getrandbits(40):x}",
                                               "content": [{"type": "output_text", "text": self._blob()}]})
        self.context += rng.randint(500, 6000)
        inp = rng.randint(272_500, 330_000) if long_context else self.context
        cached = int(inp * rng.uniform(0.5, 0.95))
        writes = rng.randint(0, min(2000, inp - cached)) if self.records else 0
        out = rng.randint(100, 4000)
        usage = (inp, cached, out, rng.randint(0, out), writes)
        self.totals = [t + u for t, u in zip(self.totals, usage, strict=True)]
        self.calls.append(TrueCall(self.session_id, self.model, moment, *usage, plain=True))
        moment += timedelta(milliseconds=rng.randint(5, 200))
        if self.records:
            self.add(moment, "token_usage_record", {"response_id": f"resp_{rng.getrandbits(64):x}",
                                                    "thread_id": self.session_id, "usage": _usage(usage)})
        count = {"type": "token_count", "info": {"total_token_usage": _usage(self.totals),
                                                 "last_token_usage": _usage(usage), "model_context_window": 400000},
                 "rate_limits": {"primary": {"used_percent": rng.uniform(0, 90), "window_minutes": 300}}}
        self.call_lines.append(len(self.lines))
        self.add(moment, "event_msg", count)
        if rng.random() < 0.15:  # Codex re-sends the same event on some stream boundaries
            self.add(moment + timedelta(milliseconds=3), "event_msg", count)
        return moment + timedelta(seconds=rng.randint(2, 90))

    def text(self) -> bytes:
        return "".join(json.dumps(record, separators=(",", ":")) + "\n" for _, record in self.lines).encode()


def _usage(values: tuple[int, ...] | list[int]) -> dict[str, int]:
    inp, cached, out, reasoning, writes = values
    usage = {"input_tokens": inp, "cached_input_tokens": cached, "output_tokens": out,
             "reasoning_output_tokens": reasoning, "total_tokens": inp + out}
    if writes:
        usage["cache_write_input_tokens"] = writes
    return usage


def _session_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(home: Path, sessions: int = 100, seed: int = 0, fork_share: float = 0.08,
             subagent_share: float = 0.04, resume_share: float = 0.1, zst_share: float = 0.1,
             archived_share: float = 0.05, record_share: float = 0.25, payload_bytes: int = 1500,
             calls: tuple[int, int] = (2, 10)) -> Tree:
    """Write ``sessions`` rollouts (forks and sub-agents included in the count) under ``home`` and return the
    truth. Deterministic for a seed."""
    rng = random.Random(seed)
    tree = Tree(Path(home))
    roots: list[tuple[_Writer, str]] = []
    n_forks = round(sessions * fork_share)
    n_subagents = round(sessions * subagent_share)
    n_roots = max(1, sessions - n_forks - n_subagents)
    for i in range(n_roots):
        writer = _Writer(rng, _session_id(rng), payload_bytes, rng.random() < record_share)
        cwd = f"/home/me/project-{i % 7}"
        if rng.random() < 0.1:  # starts just before midnight UTC: its calls fall on two days
            moment = START + timedelta(days=rng.randint(0, 27), hours=23, minutes=rng.randint(40, 58))
        else:
            moment = START + timedelta(days=rng.randint(0, 27), seconds=rng.randint(0, 86000))
        writer.meta(moment, cwd, rng.choice(MODELS), source=rng.choice(["cli", "exec", "vscode"]))
        moment += timedelta(seconds=rng.randint(1, 30))
        for k in range(rng.randint(*calls)):
            if k and rng.random() < 0.15:  # the user switches models
                writer.turn(moment, rng.choice(MODELS), cwd)
            moment = writer.call(moment, long_context=writer.model == "gpt-5.4" and rng.random() < 0.05)
        if writer.totals[0] > 40_000 and rng.random() < resume_share:
            tree.resumes += 1
            moment += timedelta(hours=rng.randint(1, 30))
            old = writer.lines[-1][1]  # a new process: totals start again from zero, an old event is re-sent
            writer.meta(moment, cwd, writer.model, source="cli")
            writer.totals = [0, 0, 0, 0, 0]
            writer.context = rng.randint(6000, 20000)
            if old["type"] == "event_msg":
                writer.add(moment, "event_msg", old["payload"])
            for _ in range(rng.randint(1, 4)):
                moment = writer.call(moment + timedelta(seconds=5))
        roots.append((writer, cwd))
    children = [("fork", i) for i in range(n_forks)] + [("subagent", i) for i in range(n_subagents)]
    written: list[_Writer] = [w for w, _ in roots]
    for kind, _ in children:
        parent, cwd = rng.choice(roots)
        upto = rng.randint(1, len(parent.calls))  # the parent's history up to its upto-th call is copied
        cut = parent.call_lines[upto - 1]
        fork_at = parent.lines[cut][0] + timedelta(minutes=rng.randint(1, 120))
        child = _Writer(rng, _session_id(rng), payload_bytes, parent.records)
        if kind == "fork":
            tree.forks += 1
            child.meta(fork_at, cwd, parent.model, source="cli", forked_from_id=parent.session_id)
        else:
            tree.subagents += 1
            spawn = {"subagent": {"thread_spawn": {"parent_thread_id": parent.session_id, "depth": 1}}}
            child.meta(fork_at, cwd, parent.model, source=spawn)
        child.lines.pop()  # its first turn_context comes after the copied history
        copied = [r for _, r in parent.lines[:cut + 1]]
        for j, record in enumerate(copied):  # one burst, re-stamped to the fork instant
            stamped = dict(record, timestamp=_ts(fork_at + timedelta(microseconds=200 * (j + 1))))
            child.lines.append((fork_at, stamped))
        total = parent.lines[cut][1]["payload"]["info"]["total_token_usage"]  # the child carries on from it
        child.totals = [total.get(k, 0) for k in ("input_tokens", "cached_input_tokens", "output_tokens",
                                                  "reasoning_output_tokens", "cache_write_input_tokens")]
        child.context = parent.calls[upto - 1].input
        moment = fork_at + timedelta(seconds=rng.randint(5, 60))
        child.turn(moment, parent.model if kind == "fork" else rng.choice(MODELS), cwd)
        for _ in range(rng.randint(*calls)):
            moment = child.call(moment)
        written.append(child)
    for writer in written:
        _save(tree, writer, rng.random() < zst_share, rng.random() < archived_share)
    tree.sessions = len(written)
    return tree


def _save(tree: Tree, writer: _Writer, compress: bool, archived: bool) -> None:
    first = writer.lines[0][0]
    name = f"rollout-{first.strftime('%Y-%m-%dT%H-%M-%S')}-{writer.session_id}.jsonl"
    folder = tree.home / ("archived_sessions" if archived else first.strftime("sessions/%Y/%m/%d"))
    folder.mkdir(parents=True, exist_ok=True)
    data = writer.text()
    if compress:
        import zstandard

        data = zstandard.ZstdCompressor(level=3).compress(data)
        name += ".zst"
        tree.zst_files += 1
    (folder / name).write_bytes(data)
    tree.files += 1
    tree.bytes += len(data)
    tree.calls += [TrueCall(**{**vars(c), "plain": not compress}) for c in writer.calls]
