"""Codex hook trust: which hooks.json entries Codex will run, and the trust record that lets it run ours.

Codex skips a user hook until it is trusted: `/hooks` in the Codex TUI writes, into config.toml,
``[hooks.state."<abs path of hooks.json>:<event_snake_case>:<group i>:<handler j>"] trusted_hash = "sha256:..."``.
The hash is Codex's own (checked against the ``currentHash`` that ``codex app-server`` reports for
``hooks/list``, 0.169.0 and 0.171.0, in tests/integration): SHA-256 of the compact, key-sorted JSON of the
normalised hook identity ``{event_name, matcher?, hooks: [{type, command, timeout, async, statusMessage?}]}``
(timeout defaults to 600 s, at least 1; the matcher is dropped for events that ignore it). A hook whose
command, timeout or matcher changes gets a new hash and is untrusted again, so `install --trust` is rerun.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT_S = 600
EVENTS_WITHOUT_MATCHER = frozenset({"UserPromptSubmit", "Stop"})


def event_key(event: str) -> str:
    """``PostToolUse`` -> ``post_tool_use``, the spelling of hook state keys."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", event).lower()


def trust_hash(event: str, matcher: str | None, handler: dict[str, Any]) -> str:
    """The ``sha256:...`` Codex computes for one command handler of a matcher group."""
    timeout = handler.get("timeout", handler.get("timeoutSec"))
    normalized: dict[str, Any] = {
        "type": "command", "command": handler.get("command"),
        "timeout": max(int(timeout) if isinstance(timeout, int) and timeout >= 0 else DEFAULT_TIMEOUT_S, 1),
        "async": bool(handler.get("async", False))}
    if handler.get("statusMessage") is not None:
        normalized["statusMessage"] = handler["statusMessage"]
    identity: dict[str, Any] = {"event_name": event_key(event), "hooks": [normalized]}
    if event not in EVENTS_WITHOUT_MATCHER and isinstance(matcher, str) and matcher.strip():
        identity["matcher"] = matcher.strip()
    data = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HookEntry:
    key: str  # the [hooks.state."KEY"] Codex looks up
    event: str
    command: str
    current_hash: str


def hook_entries(hooks_path: Path, hooks_config: dict[str, Any]) -> list[HookEntry]:
    """Every command hook of a hooks.json, with its state key and current hash."""
    source = str(hooks_path.expanduser().resolve())
    entries: list[HookEntry] = []
    events = hooks_config.get("hooks") if isinstance(hooks_config, dict) else None
    for event, groups in (events or {}).items() if isinstance(events, dict) else ():
        for i, group in enumerate(groups if isinstance(groups, list) else []):
            handlers = group.get("hooks") if isinstance(group, dict) else None
            for j, handler in enumerate(handlers if isinstance(handlers, list) else []):
                if isinstance(handler, dict) and handler.get("type", "command") == "command" \
                        and isinstance(handler.get("command"), str):
                    entries.append(HookEntry(f"{source}:{event_key(event)}:{i}:{j}", event, handler["command"],
                                             trust_hash(event, group.get("matcher"), handler)))
    return entries


def trusted_hashes(config: dict[str, Any]) -> dict[str, str]:
    """``{state key: trusted_hash}`` from config.toml's ``[hooks.state]`` (plain data from tomllib)."""
    hooks = config.get("hooks")
    states = hooks.get("state") if isinstance(hooks, dict) else None
    if not isinstance(states, dict):
        return {}
    return {key: value["trusted_hash"] for key, value in states.items()
            if isinstance(value, dict) and isinstance(value.get("trusted_hash"), str)}


def trust_status(entry: HookEntry, trusted: dict[str, str]) -> str:
    """``trusted``, ``modified`` (trusted once, changed since) or ``untrusted``, as Codex's /hooks says it."""
    recorded = trusted.get(entry.key)
    if recorded is None:
        return "untrusted"
    return "trusted" if recorded == entry.current_hash else "modified"


def with_trust(config_text: str, entries: list[HookEntry]) -> str:
    """config.toml text with a trust record for each entry; comments and other keys kept (tomlkit)."""
    import tomlkit

    doc = tomlkit.parse(config_text)
    states = doc
    for key in ("hooks", "state"):  # [hooks.state."KEY"] without writing empty [hooks] / [hooks.state] headers
        if key not in states:
            states[key] = tomlkit.table(is_super_table=True)
        states = states[key]
    for entry in entries:
        if entry.key not in states:
            states[entry.key] = tomlkit.table()
        states[entry.key]["trusted_hash"] = entry.current_hash
    return tomlkit.dumps(doc)
