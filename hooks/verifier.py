"""Verify one run's result and reduce it to a confidence in [0, 1], keeping every signal.

Signals (each in [0, 1], or absent when it cannot be measured):

- ``ast``: share of the changed source files that parse (Python's ``ast``; JavaScript, TypeScript/TSX, Go
  and Rust through tree-sitter grammars). Each file is parsed once; the Python trees are reused to count
  the test functions the run added.
- ``tests``: passed / (passed + failed + errors) of the repo's test command — configured, or detected
  (pytest, npm test, cargo test, go test) — read from JUnit XML (pytest), ``go test -json``, or the runner's
  summary line; run in the sandbox (``hooks.sandbox``) with time, memory and process limits, no network.
- ``exec``: 1 when that command ran to completion inside its limits (tests may fail), 0 when it timed out,
  crashed or could not collect.
- ``judge``: an optional LLM-as-judge: ``verifier.judge_command`` (argv) gets ``{"task", "files",
  "diff_stat"}`` as JSON on stdin and prints a number in [0, 1] or ``{"score": x}``. Off by default.
- ``completion``: 1 when Codex finished its turn without error.

confidence = sum(w_s * s) / sum(w_s) over the signals present, with per-dimension weights: tests dominate
for generation-like dimensions, AST for refactoring (DEFAULT_WEIGHTS; override in ``codex.toml``).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hooks.redact import scrub
from hooks.sandbox import Limits, run_limited
from hooks.settings import HooksSettings

_GENERATION = {"tests": 0.55, "exec": 0.15, "ast": 0.15, "judge": 0.3, "completion": 0.15}
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "code_generation": _GENERATION,
    "algorithm": _GENERATION,
    "bug_fixing": {"tests": 0.6, "exec": 0.15, "ast": 0.1, "judge": 0.3, "completion": 0.15},
    "code_completion": _GENERATION,
    "test_generation": {"tests": 0.5, "exec": 0.2, "ast": 0.2, "judge": 0.3, "completion": 0.1},
    "data_science": _GENERATION,
    "multi_language": {"tests": 0.45, "exec": 0.15, "ast": 0.25, "judge": 0.3, "completion": 0.15},
    "code_refactoring": {"ast": 0.5, "tests": 0.3, "exec": 0.1, "judge": 0.2, "completion": 0.1},
    "code_understanding": {"judge": 0.6, "completion": 0.3, "ast": 0.05, "tests": 0.05, "exec": 0.0},
    "agentic": {"tests": 0.45, "exec": 0.2, "ast": 0.15, "judge": 0.3, "completion": 0.2},
}
FALLBACK_WEIGHTS = _GENERATION

_TREE_SITTER = {  # extension -> (module, function returning the language pointer)
    ".js": ("tree_sitter_javascript", "language"), ".mjs": ("tree_sitter_javascript", "language"),
    ".cjs": ("tree_sitter_javascript", "language"), ".jsx": ("tree_sitter_javascript", "language"),
    ".ts": ("tree_sitter_typescript", "language_typescript"), ".mts": ("tree_sitter_typescript", "language_typescript"),
    ".tsx": ("tree_sitter_typescript", "language_tsx"),
    ".go": ("tree_sitter_go", "language"), ".rs": ("tree_sitter_rust", "language"),
}
_MAX_PARSE_BYTES = 2 * 1024 * 1024
OUTPUT_TAIL_CHARS = 2000  # of a failing run's output, logged with secrets redacted


@dataclass
class ParsedFile:
    path: str
    language: str
    ok: bool
    error: str | None = None
    tree: Any = None  # ast.Module for Python, tree_sitter.Tree otherwise


@dataclass
class Verification:
    confidence: float
    signals: dict[str, float]
    weights: dict[str, float]
    details: dict[str, Any] = field(default_factory=dict)

    def to_log(self) -> dict[str, Any]:
        """The ``verifier`` object of an ``outcome`` event."""
        return {"confidence": round(self.confidence, 4), "signals": self.signals, "weights": self.weights,
                **self.details}


def parse_file(path: Path) -> ParsedFile | None:
    """Parse one changed file; None when we have no parser for its language (or it is gone/binary)."""
    suffix = path.suffix.lower()
    if suffix != ".py" and suffix not in _TREE_SITTER:
        return None
    try:
        data = path.read_bytes()[:_MAX_PARSE_BYTES]
    except OSError:
        return None
    if suffix == ".py":
        try:
            return ParsedFile(str(path), "python", True, tree=ast.parse(data, filename=str(path)))
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            return ParsedFile(str(path), "python", False, error=f"line {line}: {getattr(exc, 'msg', exc)}")
    module_name, func = _TREE_SITTER[suffix]
    try:
        import importlib

        from tree_sitter import Language, Parser

        language = Language(getattr(importlib.import_module(module_name), func)())
    except (ImportError, AttributeError):
        return None
    tree = Parser(language).parse(data)
    lang = module_name.removeprefix("tree_sitter_")
    if tree.root_node.has_error:
        line = _first_error_line(tree.root_node)
        return ParsedFile(str(path), lang, False, error=f"line {line}: syntax error", tree=tree)
    return ParsedFile(str(path), lang, True, tree=tree)


def _first_error_line(node: Any) -> int | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            return current.start_point[0] + 1
        stack.extend(reversed(current.children))
    return None


def _count_python_tests(parsed: list[ParsedFile]) -> int:
    count = 0
    for item in parsed:
        if item.language == "python" and item.ok and Path(item.path).name.startswith("test"):
            count += sum(1 for node in ast.walk(item.tree)
                         if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"))
    return count


@dataclass
class TestCommand:
    runner: str
    argv: list[str]
    report: Path | None = None


def detect_test_command(repo: Path, configured: list[str] | None, report_dir: Path) -> TestCommand | None:
    """The repo's test command: configured, else pytest / npm / cargo / go by the files present."""
    if configured:
        return TestCommand("configured", list(configured))
    if _uses_pytest(repo):
        venv_python = repo / ".venv" / "bin" / "python"
        python = str(venv_python) if venv_python.exists() else sys.executable
        report = report_dir / "junit.xml"
        return TestCommand("pytest", [python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                      f"--junitxml={report}"], report)
    package = repo / "package.json"
    if package.exists():
        try:
            scripts = json.loads(package.read_text(encoding="utf-8")).get("scripts", {})
        except (OSError, ValueError, AttributeError):
            scripts = {}
        if isinstance(scripts, dict) and scripts.get("test"):
            return TestCommand("npm", ["npm", "test", "--silent"])
    if (repo / "Cargo.toml").exists():
        return TestCommand("cargo", ["cargo", "test", "--quiet"])
    if (repo / "go.mod").exists():
        return TestCommand("go", ["go", "test", "-json", "./..."])
    return None


def _uses_pytest(repo: Path) -> bool:
    """pytest config, a conftest, or test files at the top or under tests/ (a pyproject alone is not enough)."""
    if (repo / "pytest.ini").exists() or (repo / "conftest.py").exists():
        return True
    for name, marker in (("pyproject.toml", "[tool.pytest"), ("setup.cfg", "[tool:pytest]"), ("tox.ini", "[pytest]")):
        try:
            if marker in (repo / name).read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            continue
    return any(next(repo.glob(pattern), None) for pattern in ("test_*.py", "*_test.py", "tests/test_*.py",
                                                              "tests/*_test.py", "tests/**/test_*.py"))


def _junit_counts(report: Path) -> dict[str, int] | None:
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key, 0) or 0)
    passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
    return {"passed": passed, "failed": totals["failures"], "errors": totals["errors"], "skipped": totals["skipped"]}


def _go_counts(stdout: str) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("Test"):
            key = {"pass": "passed", "fail": "failed", "skip": "skipped"}.get(event.get("Action", ""))
            if key:
                counts[key] += 1
    return counts


_SUMMARY_PATTERNS = {
    "passed": re.compile(r"(\d+) (?:passed|passing)"),
    "failed": re.compile(r"(\d+) (?:failed|failing)"),
}


def _summary_counts(text: str) -> dict[str, int] | None:
    """cargo ("test result: ok. 3 passed; 0 failed"), jest/mocha/pytest summary lines."""
    found = {key: sum(int(n) for n in pattern.findall(text)) for key, pattern in _SUMMARY_PATTERNS.items()}
    if not any(found.values()):
        return None
    return {"passed": found["passed"], "failed": found["failed"], "errors": 0, "skipped": 0}


class Verifier:
    """Turns a finished run (changed files + repo) into a ``Verification``."""

    def __init__(self, settings: HooksSettings | None = None) -> None:
        self.settings = settings or HooksSettings()

    def weights_for(self, dimension: str | None) -> dict[str, float]:
        base = dict(DEFAULT_WEIGHTS.get(dimension or "", FALLBACK_WEIGHTS))
        base.update(self.settings.weights.get(dimension or "", {}))
        return base

    def verify(self, repo: Path, changed: list[Path], *, dimension: str | None, completed: bool,
               task: str = "", cancel: threading.Event | None = None,
               on_progress: Any = None) -> Verification:
        signals: dict[str, float] = {"completion": 1.0 if completed else 0.0}
        details: dict[str, Any] = {"changed_files": [_rel(p, repo) for p in changed][:200]}
        if not completed:  # nothing Codex left half-done is worth testing; the run failed
            return Verification(0.0, signals, {"completion": 1.0}, details)
        parsed = [p for p in (parse_file(path) for path in changed if path.is_file()) if p is not None]
        if parsed:
            signals["ast"] = sum(p.ok for p in parsed) / len(parsed)
            details["ast"] = {"parsed": len(parsed), "ok": sum(p.ok for p in parsed),
                              "errors": [{"file": _rel(Path(p.path), repo), "error": p.error}
                                         for p in parsed if not p.ok][:20],
                              "new_python_tests": _count_python_tests(parsed)}
        if on_progress:
            on_progress("verify", "running tests")
        tests = self._run_tests(repo, cancel)
        details["tests"] = tests
        for key in ("score", "exec"):
            value = tests.pop(key, None)
            if value is not None:
                signals["tests" if key == "score" else key] = value
        if self.settings.judge_command:
            judge = self._judge(task, details["changed_files"], repo)
            details["judge"] = judge
            if judge.get("score") is not None:
                signals["judge"] = judge["score"]
        weights = self.weights_for(dimension)
        used = {k: weights.get(k, 0.0) for k in signals}
        total = sum(used.values())
        confidence = sum(used[k] * signals[k] for k in signals) / total if total > 0 else signals["completion"]
        return Verification(max(0.0, min(1.0, confidence)), {k: round(v, 4) for k, v in signals.items()},
                            used, details)

    def _run_tests(self, repo: Path, cancel: threading.Event | None) -> dict[str, Any]:
        settings = self.settings
        with tempfile.TemporaryDirectory(prefix="codex-router-verify-") as scratch:
            command = detect_test_command(repo, settings.test_command, Path(scratch))
            if command is None:
                return {"runner": None, "reason": "no test command detected or configured"}
            limits = Limits(timeout_s=settings.test_timeout_s, memory_mb=settings.memory_mb,
                            max_processes=settings.max_processes, network=settings.network)
            result = run_limited(command.argv, repo, limits, cancel=cancel, writable=[scratch])
            info: dict[str, Any] = {"runner": command.runner, "argv": command.argv, "returncode": result.returncode,
                                    "timed_out": result.timed_out, "duration_s": round(result.duration_s, 3),
                                    "isolation": result.isolation}
            if result.error:
                info["error"] = result.error
                return info
            counts = None
            if command.report is not None and command.report.exists():
                counts, info["source"] = _junit_counts(command.report), "junit"
            elif command.runner == "go":
                counts, info["source"] = _go_counts(result.stdout), "go-json"
            if counts is None:
                counts, info["source"] = _summary_counts(result.stdout + "\n" + result.stderr), "summary"
        info["counts"] = counts
        if command.runner == "pytest" and result.returncode == 5:
            info["reason"] = "pytest collected no tests"
            return info
        ran = not result.timed_out and result.returncode is not None and result.returncode >= 0
        collected = counts is not None and (counts["passed"] + counts["failed"] + counts["errors"]) > 0
        if command.runner == "pytest" and result.returncode in (2, 3, 4):
            ran = False  # interrupted, internal error or usage error: collection failed
        info["exec"] = 1.0 if ran and (collected or result.returncode == 0) else 0.0
        if collected:
            info["score"] = counts["passed"] / (counts["passed"] + counts["failed"] + counts["errors"])
        elif result.returncode is not None and not result.timed_out and command.runner != "pytest":
            info["score"] = 1.0 if result.returncode == 0 else 0.0
        else:
            info["score"] = 0.0 if result.timed_out or not ran else None
        if not ran or (counts and counts["failed"]):
            info["output_tail"] = scrub((result.stdout + result.stderr)[-OUTPUT_TAIL_CHARS - 500:])[-OUTPUT_TAIL_CHARS:]
        return info

    def _judge(self, task: str, files: list[str], repo: Path) -> dict[str, Any]:
        payload = json.dumps({"task": task, "files": files, "diff_stat": _diff_stat(repo)})
        argv = list(self.settings.judge_command or [])
        try:
            done = subprocess.run(argv, input=payload, capture_output=True, text=True, cwd=repo,
                                  timeout=self.settings.judge_timeout_s)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"argv": argv, "error": str(exc)}
        text = done.stdout.strip()
        try:
            value = json.loads(text)
            score = float(value["score"] if isinstance(value, dict) else value)
        except (ValueError, KeyError, TypeError):
            return {"argv": argv, "error": f"judge printed no score: {scrub(text[:200])!r}",
                    "returncode": done.returncode}
        if not 0.0 <= score <= 1.0:
            return {"argv": argv, "error": f"judge score {score} outside [0, 1]"}
        return {"argv": argv, "score": score}


def _diff_stat(repo: Path) -> str:
    try:
        done = subprocess.run(["git", "diff", "--stat"], cwd=repo, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout[-4000:]


def _rel(path: Path, repo: Path) -> str:
    try:
        return str(path.resolve().relative_to(repo.resolve()))
    except ValueError:
        return str(path)


SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", "target", ".mypy_cache", ".pytest_cache",
             ".ruff_cache", "dist", "build"}
MAX_SNAPSHOT_FILES = 50_000


def snapshot(repo: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file under ``repo`` (bounded; build/VCS dirs skipped), to diff later."""
    state: dict[str, tuple[int, int]] = {}
    for root, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            state[path] = (st.st_mtime_ns, st.st_size)
            if len(state) >= MAX_SNAPSHOT_FILES:
                return state
    return state


def changed_since(repo: Path, before: dict[str, tuple[int, int]]) -> list[Path]:
    after = snapshot(repo)
    return sorted(Path(p) for p, sig in after.items() if before.get(p) != sig)
