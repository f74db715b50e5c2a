"""`codex-router bench`: JSON shape, table, and clear exit-2 errors on bad input."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
from crb_fixture import write_crb

from analytics.errors import CommandError
from router import bench_command
from router.bench import BenchOptions, build_router
from router.datasets import find_coderouterbench, load_dataset
from router.settings import COST_UNIT

GENERIC = Path(__file__).parent / "data" / "bench_generic"
BASELINES = "oracle,random,always,dimension-best,linucb,static-classifier"


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    bench_command.configure(parser)
    return bench_command.run(parser.parse_args(list(argv)))


def test_json_report_keys_and_router_names(capsys):
    assert _run("--data", str(GENERIC), "--routers", BASELINES, "--json", "--seed", "3") == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert {"dataset", "split", "tasks", "routers", "notes"} <= set(report)
    assert (report["dataset"], report["split"], report["tasks"]) == ("bench_generic", "test", 3)
    names = [r["name"] for r in report["routers"]]
    assert names == ["oracle", "random", "always:alpha (large)", "always:beta", "always:gamma mini",
                     "dimension-best", "linucb", "static-classifier"]
    for row in report["routers"]:
        assert set(row) == {"name", "avg_perf", "cum_regret", "cost_usd", "perf_per_dollar"}
    oracle = report["routers"][0]
    assert oracle == {"name": "oracle", "avg_perf": 100.0, "cum_regret": 0.0, "cost_usd": 0.15,
                      "perf_per_dollar": pytest.approx(100 / 0.15, abs=1e-5)}
    assert report["settings"]["seed"] == 3 and report["settings"]["cost_unit"] == COST_UNIT
    assert "[" in err and "3/3" in err  # progress on stderr, never on stdout


def test_acrouter_row_is_present_measured_or_explained(capsys):
    code = _run("--data", str(GENERIC), "--routers", "acrouter", "--json", "--no-progress")
    row = json.loads(capsys.readouterr().out)["routers"][0]
    assert row["name"] == "acrouter"
    if row["avg_perf"] is None:
        assert row.get("unavailable") or row.get("error")
        assert code == (1 if "error" in row else 0)
    else:
        assert code == 0 and 0 <= row["avg_perf"] <= 100


def test_table_output_names_routers_and_notes(capsys, tmp_path):
    assert _run("--data", str(write_crb(tmp_path / "crb")), "--split", "ood", "--routers", "oracle,always", "--no-progress") == 0
    out = capsys.readouterr().out
    assert "split ood" in out and "always:m-b" in out
    assert "AvgPerf%" in out and "Perf/$" in out
    assert "note: id_train has no cost" in out
    assert f"x kappa; {COST_UNIT}" in out


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    target = tmp_path / "ds"
    shutil.copytree(GENERIC, target)
    results = target / "results.csv"
    results.write_text(results.read_text().replace(old, new, 1))
    return target


@pytest.mark.parametrize(("old", "new", "message"), [
    ("latency_ms\n", "latency_ms,notes\n", "unknown column(s) 'notes'"),
    ("t2,beta,0.5,", "t2,beta,1.5,", "results.csv:18: score '1.5'"),
    ("t3,gamma mini,0.0,0.01,100,50,200\n", "", "no result for model 'gamma mini' on task 't3' (tasks.jsonl line 7)"),
])
def test_bad_input_exits_2_naming_file_and_row(tmp_path, capsys, old, new, message):
    data = _broken(tmp_path, old, new)
    with pytest.raises(CommandError) as info:
        _run("--data", str(data), "--json")
    assert info.value.exit_code == 2
    assert message in str(info.value) and "results.csv" in str(info.value)
    assert capsys.readouterr().out == ""  # nothing half-written


def test_usage_errors_exit_2(tmp_path):
    for argv, message in ((("--routers", "oracle,nope"), "unknown router 'nope'"),
                          (("--routers", "always:delta"), "unknown model in 'always:delta'"),
                          (("--split", "ood"), "CodeRouterBench only"),
                          (("--linucb-ridge", "0"), "--linucb-ridge")):
        with pytest.raises(CommandError) as info:
            _run("--data", str(GENERIC), *argv)
        assert info.value.exit_code == 2 and message in str(info.value)
    with pytest.raises(CommandError) as info:
        _run("--data", str(tmp_path / "absent"))
    assert info.value.exit_code == 2 and "not a directory" in str(info.value)


def test_default_data_dir_is_looked_up_beside_the_given_bases(tmp_path):
    work = tmp_path / "work"
    (work / "main").mkdir(parents=True)
    (tmp_path / "elsewhere" / "x").mkdir(parents=True)
    write_crb(work / "shared" / "data" / "coderouterbench")
    found = find_coderouterbench([tmp_path / "elsewhere" / "x", work / "main"])
    assert found == (work / "shared" / "data" / "coderouterbench").resolve()
    assert find_coderouterbench([tmp_path / "elsewhere" / "x"]) is None


def test_through_the_codex_router_entry_point(tmp_path, capsys):
    from hooks.cli import main

    assert main(["bench", "--data", str(GENERIC), "--routers", "oracle", "--json", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["routers"][0]["name"] == "oracle"
    data = _broken(tmp_path, "t2,beta,0.5,", "t2,beta,1.5,")
    assert main(["bench", "--data", str(data)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "codex-router bench:" in err and "results.csv:18" in err


class _Tty:
    def __init__(self, tty: bool) -> None:
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_bar_redraws_on_a_tty_and_prints_one_line_otherwise():
    tty, pipe = _Tty(True), _Tty(False)
    for stream in (tty, pipe):
        update = bench_command.ProgressBar(stream, width=10)("linucb")
        for done in range(1, 5):
            update(done, 4)
    assert tty.text.startswith("\r") and tty.text.endswith("\n") and "[##########] 4/4" in tty.text
    assert pipe.text.count("\n") == 1 and "\r" not in pipe.text and "4/4" in pipe.text


def test_memory_ablation_is_a_router_name(capsys):
    _run("--data", str(GENERIC), "--routers", "acrouter-no-memory,acrouter", "--json", "--no-progress")
    rows = json.loads(capsys.readouterr().out)["routers"]
    assert [r["name"] for r in rows] == ["acrouter-no-memory", "acrouter"]
    assert all(r["avg_perf"] is not None or r.get("unavailable") or r.get("error") for r in rows)
    assert build_router("acrouter-no-memory", load_dataset(GENERIC), BenchOptions()).use_memory is False
