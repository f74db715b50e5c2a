"""The options every `codex-router` command shares, defined once: `--log`, `--db`, `--json`.

Each command module's ``configure(parser)`` calls these, so a log is always `--log PATH` (a ``Path``), a
cache always `--db PATH`, and a report's machine form always `--json`. Standard library only: the Codex
hooks build their parsers with it and must start fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_LOG_HELP = "$CODEX_HOME/routing_log.jsonl"


def add_log(parser: argparse.ArgumentParser, purpose: str = "to read", *, repeatable: bool = False) -> None:
    """`--log PATH`: the routing log a command reads (``repeatable``: several logs, ``args.log`` a list or
    None) or appends to (``purpose``: "to append to", "to check", ...)."""
    more = "repeatable; " if repeatable else ""
    parser.add_argument("--log", action="append" if repeatable else "store", type=Path, metavar="PATH",
                        help=f"routing log {purpose} ({more}default: {DEFAULT_LOG_HELP})")


def add_db(parser: argparse.ArgumentParser) -> None:
    """`--db PATH`: the DuckDB cache of the logs (default: one per set of logs and Codex home)."""
    parser.add_argument("--db", type=Path, metavar="PATH",
                        help="DuckDB cache file (default: one per set of logs and Codex home in the user data dir)")


def add_json(parser: argparse.ArgumentParser, instead_of: str = "tables") -> None:
    """`--json`: one strict JSON object on stdout (``allow_nan=False``) instead of the human form."""
    parser.add_argument("--json", action="store_true", help=f"print one JSON object instead of {instead_of}")
