"""`codex-router whatif` on a small log the test writes: JSON keys, text report, clear usage errors."""

from __future__ import annotations

import argparse
import json

import pytest

from hooks.cli import COMMANDS, CommandError
from router import whatif_command

ESTIMATE_KEYS = {"value", "low", "high", "reason"}
SUPPORT_KEYS = {"routes", "supported", "ess", "min_ess", "min_prob", "max_weight", "thin", "reason"}


def run(argv: list[str]) -> int:
    """Parse and run exactly as the dispatcher does (hooks.cli.main), without importing every command."""
    parser = argparse.ArgumentParser(prog="codex-router whatif")
    whatif_command.configure(parser)
    return whatif_command.run(parser.parse_args(argv))


def test_registered_in_the_dispatcher():
    assert COMMANDS["whatif"][0] == "router.whatif_command"


def test_json_report_keys(fixture_log, tmp_path, capsys):
    code = run(["--log", str(fixture_log), "--db", str(tmp_path / "w.duckdb"), "--set", "eps_cost=-0.3",
                "--set", "exploration=0.2", "--bootstrap", "100", "--frontier", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert {"counts", "observed", "today", "candidate", "prior_edits", "warnings", "level", "n_boot", "logs",
            "malformed_lines", "frontier"} <= out.keys()
    assert out["counts"]["used"] == 300 and out["counts"]["manual"] == 2
    candidate = out["candidate"]
    assert candidate["settings"]["eps_cost"] == -0.3 and candidate["settings"]["exploration"] == 0.2
    assert "log2" in candidate["settings"]["cost_unit"]
    assert set(candidate["support"]) == SUPPORT_KEYS
    for estimator in ("ips", "snips", "dr"):
        for metric in ("avg_perf", "cost_per_task", "total_cost", "perf_per_dollar"):
            assert set(candidate["estimates"][estimator][metric]) == ESTIMATE_KEYS
    dr = candidate["estimates"]["dr"]["avg_perf"]
    assert dr["value"] is not None and dr["low"] <= dr["value"] <= dr["high"]
    assert {"estimator", "points", "today", "edited", "counts"} <= out["frontier"].keys()


def test_text_report(fixture_log, tmp_path, capsys):
    assert run(["--log", str(fixture_log), "--db", str(tmp_path / "w.duckdb"), "--bootstrap", "50"]) == 0
    text = capsys.readouterr().out
    assert "What-if on 300 logged policy routes of 305" in text
    assert "2 manual" in text and "candidate DR" in text and "AvgPerf" in text


@pytest.mark.parametrize(("argv", "message"), [
    (["--set", "gamma=1"], "unknown key"),
    (["--set", "exploration=3"], "exploration"),
    (["--set", "k=0"], "k"),
    (["--bootstrap", "0"], "--bootstrap"),
])
def test_bad_input_exits_2_with_a_clear_message(fixture_log, tmp_path, argv, message):
    with pytest.raises(CommandError, match=message) as err:
        run(["--log", str(fixture_log), "--db", str(tmp_path / "w.duckdb"), *argv])
    assert err.value.exit_code == 2


def test_missing_log_is_named(tmp_path):
    with pytest.raises(CommandError, match="no such log file") as err:
        run(["--log", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "w.duckdb")])
    assert err.value.exit_code == 2  # as `report` does: a usage error


def test_prior_edit_on_the_saved_priors(fixture_log, tmp_path, capsys):
    from whatif_support import TRUTH

    from router.priors import Priors
    from router.state import RouterState

    # A fresh install (here without priors) can be edited too: an edit makes its cell.
    assert run(["--log", str(fixture_log), "--db", str(tmp_path / "w.duckdb"), "--bootstrap", "20", "--json",
                "--set", "prior.bug_fixing.qwen.score=1"]) == 0
    capsys.readouterr()
    rows = [{"dimension": d, "model": m, "score": s, "cost_usd": c}
            for d in ("bug_fixing", "algorithm") for m, (s, c) in TRUTH.items() for _ in range(20)]
    RouterState(priors=Priors.from_rows(rows)).save()
    assert run(["--log", str(fixture_log), "--db", str(tmp_path / "w.duckdb"), "--bootstrap", "50", "--json",
                "--set", "prior.bug_fixing.qwen.score=1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["prior_edits"] == [{"context": "dimension=bug_fixing", "model": "qwen", "score": 1.0,
                                   "cost_usd": None}]
    assert RouterState.load().priors.cell((("dimension", "bug_fixing"),), "qwen").user_score is None  # not saved
