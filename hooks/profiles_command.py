"""`codex-router profiles sync`: one Codex profile per model the router knows, and one per dimension where
you pinned a model, so `codex --profile NAME` (and our route launcher) select model and provider together.

Codex >= 0.134 reads $CODEX_HOME/NAME.config.toml and refuses to start while config.toml still holds a
legacy [profiles.NAME] table for it or a top-level `profile = "NAME"` selector, so in that form every legacy
table is migrated into its own file (keys kept) and removed from config.toml, and the selector is removed
(backup first; the sync says what it moved). Older Codex gets [profiles.NAME] tables in config.toml. Files
are edited with tomlkit (your comments and other keys stay), backed up once before the first change, and
replaced atomically. A profile name may hold only ASCII letters, digits, `_` and `-`, so it is the model
name in lower case with `.` -> `_` and anything else -> `-` (`gpt-5.4` -> `gpt-5_4`, `qwen/qwen3-coder` ->
`qwen-qwen3-coder`); files an earlier sync wrote under a dotted name are renamed (old file backed up).
The provider comes from hooks.codex_config.MODEL_PROVIDERS or your [providers] table in codex.toml. --dry-run prints a diff and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANAGED_HEADER = ("Managed by `codex-router profiles sync`: model and model_provider are rewritten on every sync;\n"
                  "other keys you add here are kept.")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("sync",), help="sync: write/update the profiles")
    parser.add_argument("--codex-home", metavar="DIR", help="Codex home (default: $CODEX_HOME or ~/.codex)")
    parser.add_argument("--dry-run", action="store_true", help="show the changes as a diff; write nothing")
    parser.add_argument("--codex-version", metavar="X.Y.Z",
                        help="write for this Codex version instead of asking `codex --version`")
    parser.add_argument("--model", action="append", default=[], metavar="M",
                        help="also write a profile for this model (repeatable)")


@dataclass
class Plan:
    """What a sync would write: {path: (old text, new text, or None to remove the file)} and what it migrated."""

    changes: dict[Path, tuple[str, str | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    name: str
    model: str
    provider: str
    reason: str  # "model" or "pinned for DIMENSION"


def wanted_profiles(models: list[str], pinned: dict[str, str], providers: dict[str, str]) -> list[Profile]:
    from hooks.codex_config import profile_name, provider_for

    out: dict[str, Profile] = {}
    for model in models:
        name = profile_name(model)
        out.setdefault(name, Profile(name, model, provider_for(model, providers), "model"))
    for dimension, model in sorted(pinned.items()):
        name = profile_name(dimension)
        out[name] = Profile(name, model, provider_for(model, providers), f"pinned for {dimension}")
    return sorted(out.values(), key=lambda p: p.name)


def pinned_dimensions(priors: Any) -> dict[str, str]:
    """dimension -> the model the user pinned for it (the best pinned one when several are)."""
    best: dict[str, tuple[float, str]] = {}
    for path, cells in getattr(priors, "cells", {}).items():
        if len(path) != 1 or path[0][0] != "dimension":
            continue
        for model, cell in cells.items():
            if cell.pinned:
                score = cell.score if cell.score is not None else 0.0
                if path[0][1] not in best or score > best[path[0][1]][0]:
                    best[path[0][1]] = (score, model)
    return {dimension: model for dimension, (_, model) in best.items()}


def _set_profile_keys(table: Any, profile: Profile) -> None:
    table["model"] = profile.model
    table["model_provider"] = profile.provider


def plan_file_form(home: Path, config_text: str, profiles: list[Profile]) -> Plan:
    """Changes for Codex >= 0.134: NAME.config.toml files; legacy [profiles.*] tables, the legacy top-level
    ``profile = "..."`` selector and the dotted files of earlier syncs are migrated and removed."""
    import json

    import tomlkit

    from hooks.codex_config import dotted_profile_name, profile_name, valid_profile_name

    plan = Plan()
    config = tomlkit.parse(config_text)
    legacy = config.get("profiles")
    legacy_tables = dict(legacy.items()) if legacy is not None and hasattr(legacy, "items") else {}
    ours = {p.name: p for p in profiles}
    carried: dict[str, list[tuple[str, Any]]] = {}  # new name -> keys to carry over from a legacy source
    for name, table in legacy_tables.items():
        target = name if valid_profile_name(name) else profile_name(name)
        carried.setdefault(target, []).extend((table or {}).items())
        plan.notes.append(f"moved legacy [profiles.{name}] out of config.toml into {target}.config.toml")
    for profile in profiles:
        dotted = dotted_profile_name(profile.model) if profile.reason == "model" else profile.name
        path = home / f"{dotted}.config.toml"
        if dotted != profile.name and path.exists():
            old = path.read_text(encoding="utf-8")
            carried.setdefault(profile.name, []).extend(tomlkit.parse(old).items())
            plan.changes[path] = (old, None)
            plan.notes.append(f"renamed {path.name} to {profile.name}.config.toml (Codex refuses a dotted "
                              f"--profile name); the old file is kept as a backup")
    for name in sorted(set(ours) | set(carried)):
        path = home / f"{name}.config.toml"
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        doc = tomlkit.parse(old) if old else tomlkit.document()
        if not old and name in ours:
            for line in MANAGED_HEADER.splitlines():
                doc.add(tomlkit.comment(line))
        for key, value in carried.get(name, []):
            if key not in doc:
                doc[key] = value
        if name in ours:
            _set_profile_keys(doc, ours[name])
        new = tomlkit.dumps(doc)
        if new != old:
            plan.changes[path] = (old, new)
    selector = config.get("profile")
    if selector is not None:
        del config["profile"]
        plan.notes.append(f"removed the legacy selector profile = {json.dumps(str(selector))} "
                          "from config.toml (Codex >= 0.134 refuses to start with it); pass `-p NAME` instead")
    if legacy is not None:
        del config["profiles"]
    new_config = tomlkit.dumps(config)
    if new_config != config_text:
        plan.changes[home / "config.toml"] = (config_text, new_config)
    return plan


def plan_table_form(home: Path, config_text: str, profiles: list[Profile]) -> Plan:
    """{config.toml: (old, new)} for Codex < 0.134: [profiles.NAME] tables, everything else untouched."""
    import tomlkit

    config = tomlkit.parse(config_text)
    if "profiles" not in config:
        config["profiles"] = tomlkit.table(is_super_table=True)
    tables = config["profiles"]
    for profile in profiles:
        if profile.name not in tables:
            tables[profile.name] = tomlkit.table()
            _set_profile_keys(tables[profile.name], profile)
            tables[profile.name].add(tomlkit.nl())
        else:
            _set_profile_keys(tables[profile.name], profile)
    new = tomlkit.dumps(config)
    return Plan({home / "config.toml": (config_text, new)} if new != config_text else {})


def run(args: argparse.Namespace) -> int:
    import tomllib

    from analytics.atomicfile import atomic_write
    from analytics.errors import CommandError
    from analytics.paths import codex_home
    from hooks import codex_version
    from hooks.codex_config import BUILTIN_PROVIDERS, PROVIDER_HINTS
    from hooks.files import backup_once, unified_diff
    from hooks.settings import HooksSettings, HooksSettingsError

    home = codex_home(args.codex_home)
    try:
        version = codex_version.detect(args.codex_version)
        settings = HooksSettings.load()
    except (codex_version.CodexVersionError, HooksSettingsError) as exc:
        raise CommandError(str(exc), 2) from exc
    print(version.describe(), file=sys.stderr)
    config_path = home / "config.toml"
    config_text = config_path.read_text(encoding="utf-8") if config_path.exists() else ""
    try:
        config_data = tomllib.loads(config_text)
    except tomllib.TOMLDecodeError as exc:
        raise CommandError(f"{config_path}: not valid TOML ({exc}); nothing was changed") from exc
    from router.state import StateError

    try:
        models, pinned = _router_models()
    except StateError as exc:
        raise CommandError(str(exc)) from exc
    models = list(dict.fromkeys([*models, *args.model]))
    if not models and not pinned:
        raise CommandError("the router knows no models yet: run `codex-router bench` or pass --model M")
    try:
        profiles = wanted_profiles(models, pinned, settings.providers)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from exc
    planner = plan_file_form if version.profile_form == "file" else plan_table_form
    plan = planner(home, config_text, profiles)
    changes = plan.changes
    print(f"  {'PROFILE (codex -p NAME)':<32} MODEL")
    for profile in profiles:
        print(f"  {profile.name:<32} model={profile.model}  provider={profile.provider}  ({profile.reason})")
    if not changes:
        print(f"{home}: profiles up to date; nothing to change")
    for path, (old, new) in sorted(changes.items()):
        if args.dry_run:
            print(unified_diff(path, old, new or ""), end="")
            continue
        backup = backup_once(path)
        if new is None:
            path.unlink()
            print(f"removed {path}" + (f" (backup: {backup})" if backup else ""))
        else:
            atomic_write(path, new)
            print(f"wrote {path}" + (f" (backup: {backup})" if backup else ""))
    for note in plan.notes:
        print(f"(dry run) {note}" if args.dry_run else note)
    if args.dry_run and changes:
        print(f"(dry run: {len(changes)} file(s) not written)")
    defined = config_data.get("model_providers", {})
    for provider in sorted({p.provider for p in profiles} - BUILTIN_PROVIDERS - set(defined)):
        name, url, env_key = PROVIDER_HINTS.get(provider, (provider, "https://...", f"{provider.upper()}_API_KEY"))
        print(f"note: provider '{provider}' is not defined in {config_path}; add e.g.\n"
              f"  [model_providers.{provider}]\n  name = \"{name}\"\n  base_url = \"{url}\"\n"
              f"  env_key = \"{env_key}\"\n  wire_api = \"responses\"   # check what the provider supports",
              file=sys.stderr)
    return 0


def _router_models() -> tuple[list[str], dict[str, str]]:
    from router.state import RouterState

    router = RouterState.load().router()
    return list(router.models), pinned_dimensions(router.priors)
