"""`codex-router`: one entry point, one module per subcommand.

Each subcommand module exposes ``configure(parser)`` and ``run(args) -> int`` and keeps heavy imports
(polars, duckdb, torch) inside ``run`` so that `codex-router hook ...` starts in well under a second.
Usage errors exit 2 (argparse's convention); each command's own failures exit non-zero with one clear line.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from analytics.errors import CodexRouterError, CommandError

__all__ = ["COMMANDS", "CommandError", "build_parser", "main", "package_version"]

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "report": ("analytics.report_command", "spend, win rates, Perf/$ and regret from the routing log"),
    "bench": ("router.bench_command", "replay a routing benchmark (CodeRouterBench or a generic dataset)"),
    "route": ("hooks.route_command", "classify a task, pick a model, run `codex exec`, verify and log it"),
    "hook": ("hooks.hook_command", "entry points that Codex hooks call (post-tool-use, stop, notify)"),
    "install": ("hooks.install_command", "merge our hooks into $CODEX_HOME/hooks.json"),
    "profiles": ("hooks.profiles_command", "write one Codex profile per routed model"),
    "doctor": ("hooks.doctor_command", "check Codex, hooks, trust, profiles, log and prices; say how to fix"),
    "whatif": ("router.whatif_command", "off-policy estimate of a router change on the logged history"),
}


def package_version() -> str:
    """The installed distribution's version (pyproject.toml is its one source), for both console scripts."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("codex-router-tui")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked: importlib.metadata costs ~0.1 s at every start otherwise."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0,
                         help="show program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"{parser.prog} {package_version()}")
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """All subcommands, or just ``only``: a hook then imports one module, not every command's."""
    parser = argparse.ArgumentParser(
        prog="codex-router",
        description="Execution-feedback model routing for Codex CLI: route tasks, log outcomes, review cost.",
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip())
        module.configure(sub)
        sub.set_defaults(_module=module, _parser=sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse would print the top-level usage; the subcommand's own is the one that helps
        args._parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args._module.run(args) or 0)
    except CodexRouterError as exc:  # the one printer of every domain error (analytics/errors.py)
        print(f"codex-router {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"codex-router {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run the imported module's main so that `python -m hooks.cli` and the subcommands share one module state.
    from hooks.cli import main as _main

    sys.exit(_main())
