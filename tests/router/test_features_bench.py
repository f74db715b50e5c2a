"""benchmarks/bench_classifier.py on tiny fixtures: one JSON line, and clear errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_classifier.py"


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH), "--keywords-only", *args],
                          capture_output=True, text=True, timeout=120)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_prints_one_json_line_with_accuracies(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "ood176_tasks.jsonl", [
        {"prompt": "Traceback (most recent call last): KeyError, please fix", "dimension": "bug_fixing",
         "bench": "old112", "language": "python", "difficulty": "hard"},
        {"prompt": "Explain what this function does", "dimension": "code_generation", "bench": "longcli"},
    ])
    labelled = write_jsonl(tmp_path / "mine.jsonl", [{"text": "write unit tests for x", "dimension": "test_generation"}])
    done = run_bench("--data", str(tmp_path), "--labelled", str(labelled))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    ood = result["ood176"]["keywords_only"]
    assert ood["accuracy"] == 0.5
    assert ood["by_bench"] == {"longcli": {"n": 1, "accuracy": 0.0}, "old112": {"n": 1, "accuracy": 1.0}}
    assert ood["per_dimension"]["code_generation"]["predicted"] == {"code_understanding": 1}
    assert ood["language_accuracy"] == {"n": 1, "accuracy": 1.0}
    assert result["mine"]["keywords_only"]["accuracy"] == 1.0


def test_bad_line_names_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "ood176_tasks.jsonl").write_text('{"prompt": "fix it", "dimension": "bug_fixing"}\n{oops\n')
    done = run_bench("--data", str(tmp_path))
    assert done.returncode == 2
    assert f"{tmp_path / 'ood176_tasks.jsonl'}:2: invalid JSON" in done.stderr
    assert done.stdout == ""

    write_jsonl(tmp_path / "ood176_tasks.jsonl", [{"prompt": "fix it"}])
    done = run_bench("--data", str(tmp_path))
    assert done.returncode == 2
    assert ":1: field 'dimension' missing" in done.stderr


def test_missing_data_folder_is_an_error(tmp_path: Path) -> None:
    done = run_bench("--data", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "no such file" in done.stderr
