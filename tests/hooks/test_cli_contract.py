"""One error base with one printer, and the shared options defined once (issue 16)."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import pytest

from analytics.errors import CodexRouterError
from hooks.cli import COMMANDS, build_parser, main

DOMAIN_ERRORS = [
    ("analytics.schema", "SchemaError"), ("analytics.prices", "PriceFileError"), ("analytics.store", "StoreError"),
    ("analytics.store", "StoreLockedError"), ("analytics.store", "StoreCorruptError"),
    ("analytics.store", "StoreRefusedError"), ("router.dataset_readers", "DatasetError"), ("router.priors", "PriorsError"),
    ("router.settings", "SettingsError"), ("router.state", "StateError"), ("router.logged_routes", "WhatIfError"),
    ("router.memory", "MemoryStoreError"), ("hooks.settings", "HooksSettingsError"),
    ("hooks.codex_version", "CodexVersionError"), ("analytics.errors", "CommandError"),
]


@pytest.mark.parametrize(("module", "name"), DOMAIN_ERRORS)
def test_every_domain_error_derives_from_the_one_base(module: str, name: str) -> None:
    assert issubclass(getattr(importlib.import_module(module), name), CodexRouterError)


def test_a_domain_error_a_command_does_not_catch_is_printed_once_with_its_code(monkeypatch, capsys) -> None:
    from analytics import report_command
    from analytics.store import StoreCorruptError

    def fail(_args: argparse.Namespace) -> int:
        raise StoreCorruptError("/tmp/x.duckdb: not a DuckDB file")

    monkeypatch.setattr(report_command, "run", fail)
    assert main(["report"]) == 1
    assert capsys.readouterr().err == "codex-router report: /tmp/x.duckdb: not a DuckDB file\n"

    def usage(_args: argparse.Namespace) -> int:
        raise CodexRouterError("--since: not a date", 2)

    monkeypatch.setattr(report_command, "run", usage)
    assert main(["report"]) == 2


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {opt: action for action in parser._actions for opt in action.option_strings}


def test_log_db_json_are_the_same_option_in_every_command() -> None:
    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    seen = {"--log": 0, "--db": 0, "--json": 0}
    for name in COMMANDS:
        found = _options(subs[name])
        if name == "hook":  # one sub-parser per hook kind
            found = _options(next(a for a in subs[name]._actions
                                  if isinstance(a, argparse._SubParsersAction)).choices["stop"])
        for opt in ("--log", "--db"):
            if opt in found:
                seen[opt] += 1
                assert found[opt].type is Path and found[opt].metavar == "PATH", (name, opt)
        if "--json" in found:
            seen["--json"] += 1
            assert isinstance(found["--json"], argparse._StoreTrueAction), name
    assert seen["--log"] >= 6 and seen["--db"] >= 2 and seen["--json"] >= 4
