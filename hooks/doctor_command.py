"""`codex-router doctor`: is this machine wired up? Codex found and supported, our hooks installed and trusted
(and when each last fired), profiles valid for this Codex, the routing log writable, a price for every model
the router routes to. Each problem is printed with the command that fixes it.

Exit code: 0 when nothing is wrong, 1 when at least one problem was found (notes such as "the Stop hook has
not fired yet" are not problems), 2 for usage errors. --json prints the same checks as one object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from analytics import cli_options

# The routing log's tail read for "last fired": hooks append small lines, so this holds weeks of them.
LOG_TAIL_BYTES = 8 * 1024 * 1024
HOOK_SOURCES = {"PostToolUse": ("tool", "hook:PostToolUse"), "Stop": ("turn", "hook:Stop")}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codex-home", metavar="DIR", help="Codex home (default: $CODEX_HOME or ~/.codex)")
    cli_options.add_log(parser, "to check")
    cli_options.add_json(parser, "the checks")


@dataclass
class Check:
    name: str
    status: str  # ok | problem | note
    detail: str
    fix: str | None = None


def check_codex() -> tuple[list[Check], Any]:
    from hooks import codex_version

    version = codex_version.detect()
    if version.source == "assumed":
        binary = version.binary or "codex"
        return [Check("codex", "problem", f"Codex not found or `{binary} --version` failed",
                      "npm install -g @openai/codex   (or set $CODEX_BIN to the codex binary)")], version
    tested = ", ".join(".".join(map(str, v)) for v in codex_version.TESTED_VERSIONS)
    if not version.supported:
        return [Check("codex", "problem", f"Codex {version.text} at {version.binary} is older than "
                      f"{'.'.join(map(str, codex_version.MIN_SUPPORTED))} (tested: {tested})",
                      "npm install -g @openai/codex@latest")], version
    note = "" if version.version in codex_version.TESTED_VERSIONS else f" (not one of the tested {tested})"
    return [Check("codex", "ok", f"Codex {version.text} at {version.binary}, supported{note}")], version


def check_hooks(home: Path, log: Path) -> list[Check]:
    import tomllib

    from hooks.codex_trust import hook_entries, trust_status, trusted_hashes
    from hooks.install_command import is_ours

    path = home / "hooks.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError) as exc:
        return [Check("hooks", "problem", f"{path}: cannot read it ({exc})",
                      f"fix or move {path}, then run `codex-router install --trust`")]
    ours = [e for e in hook_entries(path, config) if is_ours(e.command)]
    missing = sorted(set(HOOK_SOURCES) - {e.event for e in ours})
    checks = []
    if missing:
        checks.append(Check("hooks installed", "problem", f"{path}: no codex-router {', '.join(missing)} hook",
                            "codex-router install --trust"))
    else:
        checks.append(Check("hooks installed", "ok", f"{path}: PostToolUse and Stop hooks"))
    try:
        config_data = tomllib.loads((home / "config.toml").read_text(encoding="utf-8")) \
            if (home / "config.toml").exists() else {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return [*checks, Check("config.toml", "problem", f"{home / 'config.toml'}: not valid TOML ({exc})",
                               f"fix {home / 'config.toml'}")]
    features = config_data.get("features", {})
    if isinstance(features, dict) and (features.get("hooks") is False or features.get("codex_hooks") is False):
        checks.append(Check("hooks enabled", "problem", f"{home / 'config.toml'} sets [features] hooks = false",
                            f"remove `hooks = false` from [features] in {home / 'config.toml'}"))
    trusted = trusted_hashes(config_data)
    last = last_fired(log)
    for entry in ours:
        status = trust_status(entry, trusted)
        if status == "trusted":
            checks.append(Check(f"{entry.event} hook trusted", "ok", entry.key))
        else:
            checks.append(Check(f"{entry.event} hook trusted", "problem",
                                f"{entry.key} is {status}: Codex skips it silently",
                                "codex-router install --trust   (or review it with /hooks in the Codex TUI)"))
        fired = last.get(entry.event)
        checks.append(Check(f"{entry.event} hook last fired", "ok" if fired else "note",
                            f"{fired} (routing log {log})" if fired else f"never, in {log}"))
    return checks


def last_fired(log: Path) -> dict[str, str]:
    """Event name -> timestamp of the newest line our hook for it wrote, read from the log's tail."""
    found: dict[str, str] = {}
    try:
        with open(log, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(size - LOG_TAIL_BYTES, 0))
            lines = handle.read().splitlines()
    except OSError:
        return found
    for raw in reversed(lines):
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        for event, (kind, source) in HOOK_SOURCES.items():
            if event not in found and record.get("event") == kind and record.get("source") == source:
                found[event] = str(record.get("ts"))
        if len(found) == len(HOOK_SOURCES):
            break
    return found


def check_profiles(home: Path, version: Any, models: list[str]) -> list[Check]:
    import tomllib

    from hooks.codex_config import BUILTIN_PROVIDERS, dotted_profile_name, profile_name, valid_profile_name

    fix = "codex-router profiles sync"
    checks = []
    try:
        config = tomllib.loads((home / "config.toml").read_text(encoding="utf-8")) \
            if (home / "config.toml").exists() else {}
    except (OSError, tomllib.TOMLDecodeError):
        config = {}
    if version.profile_form == "file":
        if "profile" in config:
            checks.append(Check("legacy profile selector", "problem", f"{home / 'config.toml'} holds "
                                f"profile = {json.dumps(config['profile'])}: Codex {version.text} refuses to start",
                                fix))
        if isinstance(config.get("profiles"), dict) and config["profiles"]:
            checks.append(Check("legacy profile tables", "problem", f"{home / 'config.toml'} holds "
                                f"[profiles.{', '.join(config['profiles'])}]: Codex {version.text} refuses them", fix))
    missing, invalid, providers = [], [], {}
    for model in models:
        name = profile_name(model)
        try:
            profile = _read_profile(home, name, config, version.profile_form)
        except ValueError as exc:
            checks.append(Check(f"profile {name}", "problem", str(exc), f"fix or delete it, then run {fix}"))
            continue
        if profile is None:
            missing.append(f"{model} -> {name}")
        elif isinstance(profile.get("model_provider"), str):
            providers.setdefault(profile["model_provider"], []).append(name)
        dotted = dotted_profile_name(model)
        if not valid_profile_name(dotted) and (home / f"{dotted}.config.toml").exists():
            invalid.append(f"{dotted}.config.toml")
    if invalid:
        checks.append(Check("profile names", "problem", f"Codex refuses these profile names: {', '.join(invalid)}",
                            fix))
    defined = config.get("model_providers") if isinstance(config.get("model_providers"), dict) else {}
    for provider, names in sorted(providers.items()):
        if provider not in BUILTIN_PROVIDERS and provider not in defined:
            checks.append(Check(f"provider {provider}", "problem", f"profile(s) {', '.join(names)} use provider "
                                f"'{provider}', which {home / 'config.toml'} does not define: Codex will not start",
                                f"add a [model_providers.{provider}] table to {home / 'config.toml'} "
                                "(`codex-router profiles sync` prints an example)"))
    if missing:
        checks.append(Check("profiles", "problem", f"no profile for {'; '.join(missing)}", fix))
    elif models:
        checks.append(Check("profiles", "ok", f"{len(models)} profile(s) in the {version.profile_form} form "
                            f"Codex {version.text} reads"))
    return checks


def _read_profile(home: Path, name: str, config: dict[str, Any], form: str) -> dict[str, Any] | None:
    """The profile's keys in the form this Codex reads, or None when there is none."""
    import tomllib

    if form != "file":
        table = (config.get("profiles") or {}).get(name)
        return table if isinstance(table, dict) else None
    try:
        return tomllib.loads((home / f"{name}.config.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{home / f'{name}.config.toml'}: cannot read it ({exc})") from exc


def check_log(log: Path) -> Check:
    target = log if log.exists() else log.parent
    while not target.exists() and target != target.parent:
        target = target.parent
    if os.access(target, os.W_OK) and (log.exists() or target.is_dir()):
        return Check("routing log", "ok", f"{log} is writable" + ("" if log.exists() else " (not created yet)"))
    return Check("routing log", "problem", f"{log}: cannot write {target}",
                 f"chmod u+w {target}   (or pass --log PATH to install and route)")


def check_prices(models: list[str]) -> list[Check]:
    from analytics.paths import config_dir
    from analytics.prices import OVERRIDE_FILENAME, PriceBook, PriceFileError

    try:
        book = PriceBook.load()
    except PriceFileError as exc:
        return [Check("prices", "problem", str(exc), f"fix {config_dir() / OVERRIDE_FILENAME}")]
    unpriced = [m for m in models if book.price(m) is None]
    if unpriced:
        return [Check("prices", "problem", f"no price for {', '.join(unpriced)} (their cost shows as unpriced)",
                      f"add [models.\"{unpriced[0]}\"] input_per_mtok / cached_input_per_mtok / output_per_mtok "
                      f"to {config_dir() / OVERRIDE_FILENAME}")]
    return [Check("prices", "ok", f"all {len(models)} routed model(s) priced")]


def run(args: argparse.Namespace) -> int:
    from analytics.paths import codex_home, default_log_path
    from router.state import RouterState, StateError

    home = codex_home(args.codex_home)
    log = (args.log or default_log_path(args.codex_home)).expanduser()
    checks, version = check_codex()
    try:
        models = list(RouterState.load().models)
    except StateError as exc:
        models = []
        checks.append(Check("router", "problem", str(exc), "fix or move the file named above"))
    checks += check_hooks(home, log)
    checks += check_profiles(home, version, models)
    checks.append(check_log(log))
    checks += check_prices(models)
    problems = [c for c in checks if c.status == "problem"]
    if args.json:
        print(json.dumps({"ok": not problems, "problems": len(problems), "codex_home": str(home), "log": str(log),
                          "codex_version": version.text if version.source != "assumed" else None,
                          "models": models, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for check in checks:
            mark = {"ok": "ok     ", "problem": "PROBLEM", "note": "note   "}[check.status]
            print(f"{mark} {check.name}: {check.detail}")
            if check.fix:
                print(f"        fix: {check.fix}")
        print(f"{len(problems)} problem(s)" if problems else "no problems found", file=sys.stderr)
    return 1 if problems else 0
