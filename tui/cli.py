"""`codex-router-tui`: the live dashboard, router control, route composer and sprint review for Codex CLI.

With no log yet (or --demo) it opens on the bundled sample_logs/ and keeps every write (DB, launched
routes) in a temporary folder, never in sample_logs/ or your real database.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from hooks.cli import package_version
from tui.config import ConfigError, TuiConfig, load_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codex-router-tui", description=(__doc__ or "").strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Keys: ? shows every key and its id; remap them in [keymap] of tui.toml in the config dir.",
    )
    parser.add_argument("--log", action="append", metavar="PATH",
                        help="routing log to follow (repeatable; default $CODEX_HOME/routing_log.jsonl)")
    parser.add_argument("--codex-home", metavar="DIR", help="Codex home (default $CODEX_HOME or ~/.codex)")
    parser.add_argument("--db", metavar="PATH", help="DuckDB file (default: the data dir's routing.duckdb)")
    parser.add_argument("--demo", action="store_true",
                        help="open the bundled sample logs with a temporary DB (nothing of yours is written)")
    parser.add_argument("--poll", type=float, metavar="SECONDS",
                        help="stat-poll interval, the fallback when file events are missed (default 1.0)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.poll is not None and not 0.05 <= args.poll <= 60:
        print("codex-router-tui: --poll must be between 0.05 and 60 seconds", file=sys.stderr)
        return 2
    for flag, given in (("--log", args.log or []), ("--db", [args.db] if args.db else [])):
        for path in map(os.path.expanduser, given):
            if os.path.exists(path) and not os.path.isfile(path):  # a log not there yet is created on first write
                print(f"codex-router-tui: {flag} {path} is not a file", file=sys.stderr)
                return 2
    config_error = ""
    try:
        config = load_config()
    except ConfigError as exc:
        config, config_error = TuiConfig(), str(exc)
    if args.poll is not None:
        config = replace(config, poll=args.poll)

    # The terminal is the dashboard's: the embedding model's loading bars (stderr) would draw over it.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TQDM_DISABLE", "1")
    from tui.app import CodexRouterApp
    from tui.services import Services, resolve_paths

    session = resolve_paths(args.log, args.codex_home, args.db, args.demo)
    if session.demo and session.scratch is not None:
        # Router state, memory and launched routes of a demo stay in its temp folder, not in your config.
        for name, sub in (("CODEX_ROUTER_CONFIG_DIR", "config"), ("CODEX_ROUTER_DATA_DIR", "data")):
            (session.scratch / sub).mkdir(exist_ok=True)
            os.environ[name] = str(session.scratch / sub)
    app = CodexRouterApp(Services(session), config=config, config_error=config_error)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
