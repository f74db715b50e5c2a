"""`codex-router report`: tables, the --json keys, filters, and clear exit-2 errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.paths import repo_root
from hooks.cli import main

REPORT_KEYS = {"events", "malformed", "totals", "models", "dimensions", "regret", "spend_by_day"}
TOTALS_KEYS = {"runs", "cost_usd", "avg_perf", "perf_per_dollar"}
MODEL_KEYS = {"model", "runs", "avg_score", "cost_usd", "priced_runs", "points_per_usd"}
DIMENSION_KEYS = {"dimension", "model", "runs", "win_rate", "avg_score", "cost_usd", "points_per_usd"}
DAY_KEYS = {"day", "model", "cost_usd"}


def report_json(capsys, *argv: str) -> dict:
    assert main(["report", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def check_shape(report: dict) -> None:
    assert REPORT_KEYS <= report.keys()
    assert TOTALS_KEYS <= report["totals"].keys()
    assert all(MODEL_KEYS <= m.keys() for m in report["models"])
    assert all(DIMENSION_KEYS <= d.keys() for d in report["dimensions"])
    assert {"cumulative", "kind"} <= report["regret"].keys()
    assert report["regret"]["kind"] in ("oracle", "estimated", "none")
    assert all(DAY_KEYS <= d.keys() for d in report["spend_by_day"])


def test_json_report_on_the_fixture_log(capsys, fixture_log: Path, tmp_path: Path) -> None:
    report = report_json(capsys, "--log", str(fixture_log), "--db", str(tmp_path / "r.duckdb"))
    check_shape(report)
    assert (report["events"], report["malformed"], report["totals"]["runs"]) == (8, 2, 5)
    assert report["totals"]["avg_perf"] == pytest.approx(56.0)
    assert report["regret"]["kind"] == "estimated"
    assert report["unpriced_models"] == ["mystery-model"]
    assert {d["day"] for d in report["spend_by_day"]} == {"2026-11-01", "2026-11-02"}


def test_win_threshold_sets_the_win_cut_off(capsys, fixture_log: Path, tmp_path: Path) -> None:
    """``--win-threshold`` (older spelling ``--threshold``) is the score a run needs to count as a win."""
    args = ("--log", str(fixture_log), "--db", str(tmp_path / "r.duckdb"))
    easy = report_json(capsys, *args, "--win-threshold", "0")
    strict = report_json(capsys, *args, "--win-threshold", "1")
    older = report_json(capsys, *args, "--threshold", "1")
    assert {d["win_rate"] for d in easy["dimensions"] if d["win_rate"] is not None} == {1.0}
    assert strict["dimensions"] == older["dimensions"] != easy["dimensions"]


def test_date_filters_and_repeated_logs(capsys, fixture_log: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"v": 1, "ts": "2026-11-05T00:00:00Z", "event": "outcome", "model": "glm-5",
                                 "score": 1.0, "cost_usd": 0.5}) + "\n", encoding="utf-8")
    report = report_json(capsys, "--log", str(fixture_log), "--log", str(other), "--since", "2026-11-02",
                         "--until", "2026-11-05")
    assert report["totals"]["runs"] == 4
    assert report["regret"]["kind"] == "oracle"


def test_tables_by_default(capsys, fixture_log: Path) -> None:
    assert main(["report", "--log", str(fixture_log)]) == 0
    out = capsys.readouterr().out
    assert "Models" in out and "Dimensions" in out and "Spend by day" in out
    assert "UNPRICED models" in out and "mystery-model" in out and "unpriced" in out
    # Units on the page; too few runs give "–", never a number such as "Perf/$ 4166.67 after one run".
    assert "(AvgPerf% / run cost)" in out and "points/$ = sum of scores / sum of USD" in out
    glm = next(row for row in out.splitlines() if row.strip().startswith("glm-5"))
    assert glm.split()[-1] == "–"


def test_missing_default_log_says_so(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["report"]))
    assert exc.value.code == 2
    assert "no routing log at" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--since", "2026-02-30"], ["--until", "soon"], ["--threshold", "2"],
                                  ["--win-threshold", "-0.1"], ["--bogus"]])
def test_bad_flags_exit_2(capsys, fixture_log: Path, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["report", "--log", str(fixture_log), *argv]))
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip()


def test_unreadable_paths_exit_2(capsys, tmp_path: Path, fixture_log: Path) -> None:
    assert main(["report", "--log", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err
    assert main(["report", "--log", str(tmp_path)]) == 2
    assert main(["report", "--log", str(fixture_log), "--codex-home", str(tmp_path / "absent")]) == 2
    assert "absent" in capsys.readouterr().err


def test_corrupt_db_is_rebuilt(capsys, fixture_log: Path, tmp_path: Path) -> None:
    from analytics.paths import default_db_path

    db = default_db_path([fixture_log])  # the cache we name (garbage at another --db path is refused: exit 2)
    db.parent.mkdir(parents=True)
    db.write_bytes(b"\x00garbage" * 1000)
    report = report_json(capsys, "--log", str(fixture_log))
    assert report["totals"]["runs"] == 5


def test_sample_log_report() -> None:
    sample = repo_root() / "sample_logs" / "routing_log.jsonl"  # committed
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "hooks.cli", "report", "--log", str(sample), "--json"],
                          capture_output=True, text=True, timeout=240, cwd=repo_root())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    check_shape(report)
    assert report["totals"]["runs"] > 0


def test_report_covers_only_the_logs_asked_for(capsys, fixture_log: Path, tmp_path: Path) -> None:
    """One cache DB serves many logs; a report on one log must not count another's events."""
    db, other = tmp_path / "shared.duckdb", tmp_path / "other.jsonl"
    other.write_text("{broken\n" + json.dumps({"v": 1, "ts": "2026-11-05T00:00:00Z", "event": "outcome",
                                               "model": "glm-5", "score": 1.0, "cost_usd": 0.5}) + "\n")
    both = report_json(capsys, "--log", str(fixture_log), "--log", str(other), "--db", str(db))
    only_other = report_json(capsys, "--log", str(other), "--db", str(db))
    assert (both["totals"]["runs"], both["malformed"]) == (6, 3)
    assert (only_other["events"], only_other["totals"]["runs"], only_other["malformed"]) == (1, 1, 1)
    assert only_other["totals"]["cost_usd"] == pytest.approx(0.5)


def test_report_rows_are_the_dashboard_frames(loaded) -> None:
    """The report asks the same queries as rows (no Polars); they hold what the dashboard's frames hold."""
    from analytics import regret_queries, run_queries, spend_queries
    from analytics.malformed import malformed_lines

    for ask in (run_queries.totals, run_queries.model_stats, run_queries.dimension_model_stats,
                spend_queries.spend_by_day, spend_queries.unpriced_models, malformed_lines):
        assert ask(loaded, rows=True) == ask(loaded).to_dicts(), ask.__name__
    for since in (None, "2026-11-02"):
        summary = regret_queries.regret_summary(regret_queries.regret_over_time(loaded, since=since))
        totals = regret_queries.regret_totals(loaded, since=since)
        assert totals == {**summary, "cumulative": pytest.approx(summary["cumulative"])} and totals["runs"] > 0


@pytest.mark.parametrize("view", [[], ["daily"], ["session"]])
def test_a_warm_report_loads_neither_polars_nor_pyarrow(fixture_log: Path, tmp_path: Path, view: list[str]) -> None:
    """What a warm report costs is mostly imports: with nothing new to read, only DuckDB's are paid."""
    import subprocess
    import sys

    argv = ["report", *view, "--log", str(fixture_log), "--db", str(tmp_path / "c.duckdb"), "--codex-home",
            str(tmp_path), "--json", *(["--timezone", "Europe/Berlin"] if view else [])]
    check = ("import sys; from hooks.cli import main; assert main(sys.argv[1:]) == 0; "
             "sys.stdout.flush(); print(sorted({'polars', 'pyarrow', 'numpy'} & set(sys.modules)), file=sys.stderr)")
    runs = [subprocess.run([sys.executable, "-c", check, *argv], capture_output=True, text=True, check=True,
                           cwd=repo_root()) for _ in range(2)]
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)
    assert runs[0].stderr.strip() != "[]"  # the first run read the log in bulk (pyarrow)
    assert runs[1].stderr.strip() == "[]"
