"""The verifier: AST over changed files (Python + tree-sitter), tests from JUnit XML run in the sandbox,
per-dimension weights, an optional judge command; the sandbox records which isolation applied."""

from __future__ import annotations

import fcntl
import sys
import threading
import time
from pathlib import Path

import pytest

from hooks.sandbox import Limits, run_limited
from hooks.settings import HooksSettings, HooksSettingsError
from hooks.verifier import Verifier, changed_since, parse_file, snapshot


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_python_and_tree_sitter_languages(tmp_path: Path) -> None:
    assert parse_file(_write(tmp_path / "a.py", "def f():\n    return 1\n")).ok
    bad = parse_file(_write(tmp_path / "b.py", "def f(\n"))
    assert not bad.ok and "line" in bad.error
    assert parse_file(_write(tmp_path / "c.js", "function f(a) { return a + 1; }\n")).ok
    assert not parse_file(_write(tmp_path / "d.js", "function f(a { return\n")).ok
    assert parse_file(_write(tmp_path / "e.go", "package main\n\nfunc main() {}\n")).ok
    assert not parse_file(_write(tmp_path / "f.rs", "fn main( {\n")).ok
    assert parse_file(_write(tmp_path / "g.tsx", "const x = <div>{1}</div>;\n")).ok
    assert parse_file(_write(tmp_path / "notes.txt", "hello")) is None


def _pytest_repo(tmp_path: Path, failing: bool) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _write(repo / "pyproject.toml", "[project]\nname='x'\nversion='0'\n")
    _write(repo / "solution.py", "def add(a, b):\n    return a + b\n")
    body = "assert add(1, 1) == 3" if failing else "assert add(1, 1) == 2"
    _write(repo / "test_solution.py", f"from solution import add\n\ndef test_one():\n    {body}\n\n"
                                      "def test_two():\n    assert add(0, 0) == 0\n")
    return repo


def test_passing_tests_give_high_confidence_with_signals(tmp_path: Path) -> None:
    repo = _pytest_repo(tmp_path, failing=False)
    result = Verifier().verify(repo, [repo / "solution.py", repo / "test_solution.py"],
                               dimension="code_generation", completed=True)
    assert result.signals == {"completion": 1.0, "ast": 1.0, "tests": 1.0, "exec": 1.0}
    assert result.confidence == pytest.approx(1.0)
    log = result.to_log()
    assert log["tests"]["counts"] == {"passed": 2, "failed": 0, "errors": 0, "skipped": 0}
    assert log["tests"]["source"] == "junit" and log["ast"]["new_python_tests"] == 2
    assert "network" in log["tests"]["isolation"]


def test_failing_test_lowers_confidence_and_tests_dominate_generation(tmp_path: Path) -> None:
    repo = _pytest_repo(tmp_path, failing=True)
    changed = [repo / "solution.py"]
    generation = Verifier().verify(repo, changed, dimension="code_generation", completed=True)
    refactoring = Verifier().verify(repo, changed, dimension="code_refactoring", completed=True)
    assert generation.signals["tests"] == 0.5
    assert generation.confidence < refactoring.confidence < 1.0


def test_syntax_error_and_no_tests(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    bad = _write(repo / "mod.py", "def broken(:\n")
    result = Verifier().verify(repo, [bad], dimension="code_refactoring", completed=True)
    assert result.signals["ast"] == 0.0 and "tests" not in result.signals
    assert result.to_log()["ast"]["errors"][0]["file"] == "mod.py"
    assert result.confidence < 0.5


def test_incomplete_run_scores_zero(tmp_path: Path) -> None:
    repo = _pytest_repo(tmp_path, failing=False)
    assert Verifier().verify(repo, [], dimension=None, completed=False).confidence == 0.0


def test_configured_weights_and_judge(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    judge = _write(tmp_path / "judge.py", "import json, sys\njson.load(sys.stdin)\nprint('{\"score\": 0.25}')\n")
    settings = HooksSettings(judge_command=[sys.executable, str(judge)],
                             weights={"code_understanding": {"judge": 1.0, "completion": 0.0}})
    result = Verifier(settings).verify(repo, [], dimension="code_understanding", completed=True)
    assert result.signals["judge"] == 0.25 and result.confidence == pytest.approx(0.25)


def test_settings_file_errors_name_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "codex.toml", "[verifier.weights.bug_fixing]\nspeed = 1\n")
    with pytest.raises(HooksSettingsError, match="verifier.weights.bug_fixing.speed"):
        HooksSettings.load(path)
    _write(path, "[route]\ntimeout_s = -1\n")
    with pytest.raises(HooksSettingsError, match="route.timeout_s"):
        HooksSettings.load(path)
    _write(path, "[verifier]\ntest_command = ['make', 'check']\nnetwork = true\n")
    assert HooksSettings.load(path).test_command == ["make", "check"]


def test_sandbox_timeout_kills_the_process_group(tmp_path: Path) -> None:
    script = _write(tmp_path / "spin.py", "import subprocess, sys, time\n"
                    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\ntime.sleep(60)\n")
    started = time.monotonic()
    result = run_limited([sys.executable, str(script)], tmp_path, Limits(timeout_s=1.0))
    assert result.timed_out and time.monotonic() - started < 15
    assert result.isolation["process_group"] is True


def test_sandbox_cancel_and_scratch_home(tmp_path: Path) -> None:
    result = run_limited([sys.executable, "-c", "import os; print(os.environ['HOME'])"], tmp_path, Limits())
    assert result.returncode == 0 and result.stdout.strip() != str(Path.home())
    cancel = threading.Event()
    cancel.set()
    cancelled = run_limited([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, Limits(), cancel=cancel)
    assert cancelled.error == "cancelled"


def test_sandbox_cuts_network_when_the_machine_allows(tmp_path: Path) -> None:
    code = "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('net')\n" \
           "except OSError:\n    print('nonet')\n"
    result = run_limited([sys.executable, "-c", code], tmp_path, Limits(timeout_s=20))
    if result.isolation["network"] == "none":
        pytest.skip("no network namespace available on this machine")
    assert result.stdout.strip() == "nonet"


def test_snapshot_diff_finds_changed_and_new_files(tmp_path: Path) -> None:
    _write(tmp_path / "a.py", "x = 1\n")
    (tmp_path / ".git").mkdir()
    before = snapshot(tmp_path)
    _write(tmp_path / "b.py", "y = 2\n")
    _write(tmp_path / ".git" / "index", "ignored")
    assert changed_since(tmp_path, before) == [tmp_path / "b.py"]


def test_test_command_detection(tmp_path: Path) -> None:
    from hooks.verifier import detect_test_command

    repo = tmp_path / "js"
    repo.mkdir()
    _write(repo / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    _write(repo / "package.json", '{"scripts": {"test": "vitest run"}}')
    assert detect_test_command(repo, None, tmp_path).runner == "npm"
    _write(repo / "pyproject.toml", "[tool.pytest.ini_options]\naddopts = '-q'\n")
    assert detect_test_command(repo, None, tmp_path).runner == "pytest"
    assert detect_test_command(repo, ["make", "test"], tmp_path).argv == ["make", "test"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert detect_test_command(empty, None, tmp_path) is None
    _write(empty / "go.mod", "module x\n")
    assert detect_test_command(empty, None, tmp_path).argv[:3] == ["go", "test", "-json"]


def test_go_json_and_summary_counts() -> None:
    from hooks.verifier import _go_counts, _summary_counts

    stream = "\n".join(['{"Action":"pass","Test":"TestA"}', '{"Action":"fail","Test":"TestB"}',
                        '{"Action":"pass","Package":"x"}', "garbage"])
    assert _go_counts(stream) == {"passed": 1, "failed": 1, "errors": 0, "skipped": 0}
    assert _summary_counts("test result: ok. 3 passed; 1 failed; 0 ignored")["failed"] == 1
    assert _summary_counts("nothing here") is None


def test_sandbox_keeps_writes_in_the_work_dir_and_kills_strays(tmp_path: Path) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    code = ("import fcntl, os, sys, time\nopen('inside.txt', 'w').close()\n"
            "try:\n    open(sys.argv[1], 'w').close()\nexcept OSError:\n    pass\n"
            "lock = open('stray.lock', 'a')\nfcntl.flock(lock, fcntl.LOCK_EX)\n"
            "if os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n")
    result = run_limited([sys.executable, "-c", code, str(outside / "x.txt")], work, Limits(timeout_s=20))
    assert result.returncode == 0 and (work / "inside.txt").exists()
    with open(work / "stray.lock", "a") as lock:  # the setsid child inherited the lock: free once it is dead
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    if result.isolation["filesystem"] == "unrestricted":
        pytest.skip("no user + mount namespaces on this machine")
    assert not (outside / "x.txt").exists()
