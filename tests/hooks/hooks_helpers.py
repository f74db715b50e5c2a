"""Helpers shared by the hooks tests (a plain module: the tests folders are not packages)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FAKE_CODEX_DIR = Path(__file__).resolve().parent.parent / "fake_codex"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent.parent


def run_cli(*args: str, stdin: bytes | str | None = b"", env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """`codex-router ARGS` in a fresh interpreter, as Codex or a user would start it."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "hooks.cli", *args], input=data, capture_output=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=timeout)


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
