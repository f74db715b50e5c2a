"""`codex-router-tui`: the live dashboard, router control, route composer and sprint review for Codex CLI.

With no log yet (or --demo) it opens on the bundled sample_logs/ and keeps every write (DB, launched
routes) in a temporary folder, never in sample_logs/ or your real database.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from analytics.cli_options import add_db, add_log
from hooks.cli import package_version
from tui.config import ConfigError, TuiConfig, load_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codex-router-tui", description=(__doc__ or "").strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Keys: ? shows every key and its id; remap them in [keymap] of tui.toml in the config dir.",
    )
    add_log(parser, "to follow", repeatable=True)
    parser.add_argument("--codex-home", metavar="DIR", help="Codex home (default $CODEX_HOME or ~/.codex)")
    add_db(parser)
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
        for path in (p.expanduser() for p in given):
            if path.exists() and not path.is_file():  # a log not there yet is created on first write
                print(f"codex-router-tui: {flag} {path} is not a file", file=sys.stderr)
                return 2
    config_error = ""
    try:
        config = load_config()
    except ConfigError as exc:
        config, config_error = TuiConfig(), str(exc)
    if args.poll is not None:
        config = replace(config, poll=args.poll)
    from tui.app import CodexRouterApp  # Textual and the services load after the arguments are checked
    from tui.live_services import LiveServices
    from tui.session import resolve_paths

    # A demo's router state and launched routes stay in its temp folder (SessionPaths), not in your config.
    session = resolve_paths(args.log, args.codex_home, args.db, args.demo)
    app = CodexRouterApp(LiveServices(session), config=config, config_error=config_error)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
