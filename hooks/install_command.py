"""Merge codex-router's hooks (PostToolUse -> `hook post-tool-use`, Stop -> `hook stop`) into
$CODEX_HOME/hooks.json, keeping every hook already there.

Idempotent: a second run changes nothing; a moved installation updates our entries in place. The file is
backed up once (hooks.json.codex-router.bak) before the first change and replaced atomically. --dry-run
prints the diff and writes nothing. Codex skips hooks until you trust them: open Codex and run /hooks,
or pass --trust (an explicit opt-in) to write the trust record for our hooks into config.toml yourself —
the same `[hooks.state."..."] trusted_hash` entry /hooks writes (see hooks.codex_trust), config.toml backed
up first. Hooks that are not ours are never trusted by us.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from analytics import cli_options
from hooks.codex_hooks import HOOK_EVENTS, HOOK_TIMEOUT_S

OUR_MARKERS = ("codex-router", "hooks.cli")
SUBCOMMAND = {"PostToolUse": "post-tool-use", "Stop": "stop"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codex-home", metavar="DIR", help="Codex home (default: $CODEX_HOME or ~/.codex)")
    parser.add_argument("--dry-run", action="store_true", help="show the change as a diff; write nothing")
    cli_options.add_log(parser, "the hooks append to")
    parser.add_argument("--trust", action="store_true",
                        help="also mark our hooks trusted in config.toml (what /hooks in the Codex TUI does)")


def hook_program() -> list[str]:
    """How Codex should start us: the `codex-router` script beside this Python, else `python -m hooks.cli`."""
    script = Path(sys.executable).with_name("codex-router")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hooks.cli"]


def our_command(kind: str, log: Path | None) -> str:
    argv = [*hook_program(), "hook", kind]
    if log is not None:
        argv += ["--log", str(log.expanduser().resolve())]
    return shlex.join(argv)


def is_ours(command: str) -> bool:
    """A hooks.json command that runs one of our `hook` entry points."""
    return any(m in command for m in OUR_MARKERS) and any(f" hook {kind}" in command for kind in SUBCOMMAND.values())


def _is_ours(hook: Any, kind: str) -> bool:
    command = hook.get("command", "") if isinstance(hook, dict) else ""
    return isinstance(command, str) and any(m in command for m in OUR_MARKERS) and f" hook {kind}" in command


def merge(config: dict[str, Any], log: Path | None) -> dict[str, Any]:
    """``config`` with our hooks present exactly once per event; everything else untouched."""
    merged = json.loads(json.dumps(config))
    events = merged.setdefault("hooks", {})
    if not isinstance(events, dict):
        raise ValueError("'hooks' must be an object mapping event names to lists")
    for event, matcher in HOOK_EVENTS.items():
        kind = SUBCOMMAND[event]
        wanted = {"type": "command", "command": our_command(kind, log), "timeout": HOOK_TIMEOUT_S,
                  "statusMessage": "codex-router: logging"}
        groups = events.setdefault(event, [])
        if not isinstance(groups, list):
            raise ValueError(f"hooks.{event} must be a list of matcher groups")
        placed = False
        kept_groups = []
        for group in groups:
            hooks = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(hooks, list) or not any(_is_ours(h, kind) for h in hooks):
                kept_groups.append(group)
                continue
            new_hooks = []
            for hook in hooks:
                if not _is_ours(hook, kind):
                    new_hooks.append(hook)
                elif not placed:  # update our first entry in place; drop duplicates
                    new_hooks.append({**hook, **wanted})
                    placed = True
            if new_hooks:
                kept_groups.append({**group, "hooks": new_hooks})
        if not placed:
            kept_groups.append({"matcher": matcher, "hooks": [wanted]} if matcher is not None
                               else {"hooks": [wanted]})
        groups[:] = kept_groups
    return merged


def run(args: argparse.Namespace) -> int:
    from analytics.atomicfile import atomic_write
    from analytics.errors import CommandError
    from analytics.paths import codex_home
    from hooks.files import backup_once, unified_diff

    home = codex_home(args.codex_home)
    path = home / "hooks.json"
    old_text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        config = json.loads(old_text) if old_text.strip() else {}
    except ValueError as exc:
        raise CommandError(f"{path}: not valid JSON (line {getattr(exc, 'lineno', '?')}): {exc}; fix or move it "
                           "first, nothing was changed") from exc
    if not isinstance(config, dict):
        raise CommandError(f"{path}: top level must be a JSON object; nothing was changed")
    try:
        merged = merge(config, args.log)
    except ValueError as exc:
        raise CommandError(f"{path}: {exc}; nothing was changed") from exc
    new_text = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
    if merged == config:
        print(f"{path}: codex-router hooks already installed; nothing to change")
    elif args.dry_run:
        print(unified_diff(path, old_text, new_text), end="")
        print(f"(dry run: {path} not written)")
    else:
        backup = backup_once(path)
        atomic_write(path, new_text)
        print(f"{path}: codex-router hooks installed" + (f" (backup: {backup})" if backup else ""))
    _warn_if_disabled(home)
    if args.trust:
        _trust(home, path, merged, args.dry_run)
    else:
        print("Next: open Codex and run /hooks to review and trust the codex-router hooks — Codex silently skips\n"
              "untrusted hooks (or rerun with --trust to record that trust in config.toml yourself).")
    print(f"Older Codex without hooks: add  notify = {json.dumps([*hook_program(), 'hook', 'notify'])}  "
          "to config.toml.")
    return 0


def _trust(home: Path, hooks_path: Path, merged: dict[str, Any], dry_run: bool) -> None:
    """Write Codex's trust record for our hooks (only ours) into config.toml; backup first, atomic."""
    import tomllib

    from analytics.atomicfile import atomic_write
    from analytics.errors import CommandError
    from hooks.codex_trust import hook_entries, trust_status, trusted_hashes, with_trust
    from hooks.files import backup_once, unified_diff

    config_path = home / "config.toml"
    old = config_path.read_text(encoding="utf-8") if config_path.exists() else ""
    try:
        trusted = trusted_hashes(tomllib.loads(old))
    except tomllib.TOMLDecodeError as exc:
        raise CommandError(f"{config_path}: not valid TOML ({exc}); hooks not trusted") from exc
    ours = [e for e in hook_entries(hooks_path, merged) if is_ours(e.command)]
    pending = [e for e in ours if trust_status(e, trusted) != "trusted"]
    if not pending:
        print(f"{config_path}: the codex-router hooks are already trusted; nothing to change")
        return
    new = with_trust(old, pending)
    if dry_run:
        print(unified_diff(config_path, old, new), end="")
        print(f"(dry run: {config_path} not written)")
        return
    backup = backup_once(config_path)
    atomic_write(config_path, new)
    for entry in pending:
        print(f"trusted {entry.event}: {entry.current_hash} ({entry.key})")
    print(f"{config_path}: trust recorded" + (f" (backup: {backup})" if backup else "")
          + "; Codex now runs these hooks. Rerun `codex-router install --trust` after changing them.")


def _warn_if_disabled(home: Path) -> None:
    from hooks.codex_config import read_config

    try:
        features = read_config(home).get("features", {})
    except ValueError as exc:
        print(f"warning: {exc}", file=sys.stderr)
        return
    if isinstance(features, dict) and (features.get("hooks") is False or features.get("codex_hooks") is False):
        print(f"warning: {home / 'config.toml'} turns hooks off ([features] hooks = false); the hooks will not run",
              file=sys.stderr)
