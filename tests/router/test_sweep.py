"""`codex-router bench --sweep`: the single-model frontier, its hull and the lift, on numbers known by hand."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from hooks.cli import CommandError
from router import bench_command
from router.sweep import Point, best_beat, hull_cost_at, hull_perf_at, lift, non_dominated, upper_hull

# (AvgPerf %, total $): cheap -> mid -> wide is concave; "under" is non-dominated but below the chord mid-wide;
# "waste" is dominated by mid (less AvgPerf for more money).
POINTS = [Point("cheap", 20.0, 1.0), Point("mid", 50.0, 3.0), Point("under", 55.0, 8.0), Point("wide", 70.0, 10.0),
          Point("waste", 40.0, 5.0)]


def test_frontier_and_hull_of_known_points():
    assert [p.name for p in non_dominated(POINTS)] == ["cheap", "mid", "under", "wide"]
    assert [p.name for p in upper_hull(POINTS)] == ["cheap", "mid", "wide"]


def test_hull_interpolates_and_is_undefined_outside_its_range():
    hull = upper_hull(POINTS)
    assert hull_perf_at(hull, 2.0) == pytest.approx(35.0)  # halfway cheap -> mid
    assert hull_perf_at(hull, 6.5) == pytest.approx(60.0)  # halfway mid -> wide
    assert hull_perf_at(hull, 0.5) is None  # cheaper than any model
    assert hull_perf_at(hull, 50.0) == 70.0  # more money buys nothing beyond the best model
    assert hull_cost_at(hull, 60.0) == pytest.approx(6.5)
    assert hull_cost_at(hull, 75.0) is None and hull_cost_at(hull, 10.0) is None


def test_lift_and_saving_of_a_point_above_the_hull():
    gained, saved = lift(Point("router", 60.0, 5.0), upper_hull(POINTS))
    # hull at $5: 50 + 20 * 2/7; hull reaches 60 % at $6.5
    assert gained == pytest.approx(60.0 - (50.0 + 20.0 * 2.0 / 7.0))
    assert saved == pytest.approx(1.5)
    margin, model = best_beat(Point("router", 60.0, 5.0), non_dominated(POINTS))
    assert (margin, model) == (pytest.approx(5.0), "under")  # under costs more ($8) and scores 5 points less
    assert best_beat(Point("router", 99.0, 11.0), non_dominated(POINTS)) == (None, None)


def _write_dataset(folder: Path) -> Path:
    """Four probe and four test tasks; per model the same scores in both and one cost per task."""
    models = {"cheap": ([1, 0, 0, 0], 0.01), "mid": ([1, 1, 0, 0], 0.05), "wide": ([1, 1, 1, 0], 0.25),
              "waste": ([1, 0, 0, 0], 0.30)}
    folder.mkdir()
    tasks = [{"task_id": f"{split}{i}", "split": split, "dimension": "code_generation", "repo": "r"}
             for split in ("probe", "test") for i in range(4)]
    (folder / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    lines = ["task_id,model,score,cost_usd"]
    for task in tasks:
        i = int(task["task_id"][-1])
        lines += [f"{task['task_id']},{m},{scores[i]},{cost}" for m, (scores, cost) in models.items()]
    (folder / "results.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    bench_command.configure(parser)
    return bench_command.run(parser.parse_args(list(argv)))


def test_sweep_json_on_a_tiny_dataset_whose_frontier_is_known(tmp_path: Path, capsys):
    data = _write_dataset(tmp_path / "tiny")
    assert _run("--data", str(data), "--sweep", "--grid", "0,-0.1,-5", "--json", "--no-progress") == 0
    report = json.loads(capsys.readouterr().out)
    always = {p["name"]: (p["avg_perf"], p["cost_usd"]) for p in report["always"]}
    assert always == {"always:cheap": (25.0, 0.04), "always:mid": (50.0, 0.2), "always:wide": (75.0, 1.0),
                      "always:waste": (25.0, 1.2)}
    assert [p["name"] for p in report["frontier"]] == ["always:cheap", "always:mid", "always:wide"]
    assert [p["name"] for p in report["hull"]] == ["always:cheap", "always:mid", "always:wide"]
    assert [r["eps_cost"] for r in report["sweep"]] == [0.0, -0.1, -5.0]
    for row in report["sweep"]:
        assert sum(row["mix"].values()) == pytest.approx(1.0)
        cost, perf = row["cost_usd"], row["avg_perf"]
        hull = (None if cost < 0.04 else 25 + 25 * (cost - 0.04) / 0.16 if cost <= 0.2
                else 50 + 25 * (cost - 0.2) / 0.8 if cost <= 1.0 else 75.0)
        assert row["lift"] == (None if hull is None else pytest.approx(perf - hull, abs=1e-3))
    assert report["default_eps_cost"] == -0.1 and report["settings"]["cost_unit"]
    assert report["settings"]["knob_step"].startswith("one step of eps_cost")


def test_sweep_table_and_chart(tmp_path: Path, capsys):
    data = _write_dataset(tmp_path / "tiny")
    assert _run("--data", str(data), "--sweep", "--grid", "-0.1", "--no-progress", "--no-text") == 0
    out = capsys.readouterr().out
    assert "single-model frontier" in out and "* always:mid" in out and "-0.1 (default)" in out
    assert "total cost (USD)" in out and "\x1b[" not in out  # the plotext chart, without colour codes


@pytest.mark.parametrize("grid", ["", "a,b", "0,nan"])
def test_a_bad_grid_is_a_usage_error(tmp_path: Path, grid: str):
    with pytest.raises(CommandError) as info:
        _run("--data", str(_write_dataset(tmp_path / "tiny")), "--sweep", "--grid", grid)
    assert info.value.exit_code == 2 and "--grid" in str(info.value)
