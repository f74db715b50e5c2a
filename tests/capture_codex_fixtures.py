"""Write the hooks tests' Codex fixtures from a real run: `python tests/capture_codex_fixtures.py [VERSION]`.

Installs (or reuses) the real `@openai/codex` VERSION (default: the oldest tested) with tests/integration's npm
cache, runs `codex exec --json` against the mock Responses server with hooks and a legacy `notify` program
that save what Codex hands them, and writes into tests/hooks/fixtures/: post_tool_use_bash.json, stop.json
(payloads as Codex sends them on stdin), notify.json (the JSON argument), exec_events.jsonl (the --json
stream), and the stderr of two runs Codex refuses: exec_dotted_profile.stderr (`-p gpt-5.4`) and
exec_legacy_selector.stderr (a top-level `profile = "glm-5"` in config.toml). Temporary paths are replaced by stable placeholders so a rerun changes only what Codex changed.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "integration"), str(HERE.parent)]

from codex_home import run_exec, write_config  # noqa: E402
from codex_npm import CODEX_VERSIONS, install_codex  # noqa: E402
from mock_responses import MockResponses  # noqa: E402

FIXTURES = HERE / "hooks" / "fixtures"
# The Stop fixture's reply carries a key-like string: the unit tests check it is redacted before logging.
PROMPT = "RUN: pytest -q || echo 'tests failed'"
REPLY = "Fixed the bug. I used the key sk-proj-abcdefghijklmnopqrstuvwxyz012345 from .env."
SAVE = "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(sys.argv[2] if len(sys.argv) > 2 else sys.stdin.read())"


def capture(version: str) -> dict[str, str]:
    codex = install_codex(version)
    with tempfile.TemporaryDirectory(prefix="codex-fixtures-") as tmp, MockResponses(reply=REPLY) as mock:
        root = Path(tmp)
        home, work, out = root / "codex-home", root / "project", root / "out"
        for path in (home, work, out):
            path.mkdir()
        save = [sys.executable, "-c", SAVE]
        write_config(home, mock.base_url, extra=f"notify = {json.dumps([*save, str(out / 'notify.json')])}\n")
        hooks = {event: [{**({"matcher": ".*"} if event == "PostToolUse" else {}), "hooks": [
            {"type": "command", "command": shlex.join([*save, str(out / f"{event}.json")]), "timeout": 10}]}]
            for event in ("PostToolUse", "Stop")}
        (home / "hooks.json").write_text(json.dumps({"hooks": hooks}), encoding="utf-8")
        done = run_exec(codex, home, work, PROMPT, "--dangerously-bypass-hook-trust")
        if done.returncode != 0:
            raise SystemExit(f"codex exec failed ({done.returncode}): {done.stderr[-2000:]}")
        stable = {str(home): "/home/user/.codex", str(work): "/home/user/project"}

        def clean(text: str) -> str:
            for real, placeholder in stable.items():
                text = text.replace(real, placeholder)
            return text

        written = {"exec_events.jsonl": clean(done.stdout)}
        for event, name in (("PostToolUse", "post_tool_use_bash.json"), ("Stop", "stop.json")):
            written[name] = clean(json.dumps(json.loads((out / f"{event}.json").read_text()))) + "\n"
        if (out / "notify.json").exists():
            written["notify.json"] = clean(json.dumps(json.loads((out / "notify.json").read_text()))) + "\n"
        written["exec_dotted_profile.stderr"] = clean(run_exec(codex, home, work, "SAY: x", "-p", "gpt-5.4").stderr)
        config = home / "config.toml"
        config.write_text('profile = "glm-5"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
        written["exec_legacy_selector.stderr"] = clean(run_exec(codex, home, work, "SAY: x").stderr)
    for name, text in written.items():
        (FIXTURES / name).write_text(text, encoding="utf-8")
    return written


if __name__ == "__main__":
    chosen = sys.argv[1] if len(sys.argv) > 1 else CODEX_VERSIONS[0]
    for name in capture(chosen):
        print(f"wrote {FIXTURES / name} (Codex {chosen})")
    subprocess.run(["git", "-C", str(HERE.parent), "diff", "--stat", "--", str(FIXTURES)], check=False)
