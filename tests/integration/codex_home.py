"""A throwaway CODEX_HOME wired to the mock Responses server, and a helper that runs the real `codex exec`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from hooks.codex_config import PROVIDER_HINTS

MOCK_KEY_ENV = "MOCK_API_KEY"
EXEC_TIMEOUT_S = 90


def write_config(home: Path, base_url: str, extra: str = "") -> None:
    """config.toml selecting ``[model_providers.mock]``; every provider id our profiles name points at the mock
    too, and the built-in ``openai`` provider is moved there with ``openai_base_url`` (it cannot be redefined)."""
    tables = "".join(
        f'\n[model_providers.{pid}]\nname = "{pid} (mock)"\nbase_url = "{base_url}"\nenv_key = "{MOCK_KEY_ENV}"\n'
        f'wire_api = "responses"\n' for pid in ("mock", *PROVIDER_HINTS))
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'openai_base_url = "{base_url}"\nmodel_provider = "mock"\nmodel = "gpt-5.4"\n'
                                      f"{extra}{tables}", encoding="utf-8")


def codex_env(home: Path, codex_bin: Path) -> dict[str, str]:
    return {**os.environ, "CODEX_HOME": str(home), MOCK_KEY_ENV: "mock-key", "OPENAI_API_KEY": "mock-key",
            "CODEX_BIN": str(codex_bin), "NO_COLOR": "1", "RUST_LOG": "error"}


def run_exec(codex_bin: Path, home: Path, workdir: Path, prompt: str, *args: str) -> subprocess.CompletedProcess:
    argv = [str(codex_bin), "exec", "--json", "--skip-git-repo-check", "-C", str(workdir), "-s", "workspace-write",
            *args, "--", prompt]
    return subprocess.run(argv, env=codex_env(home, codex_bin), capture_output=True, text=True,
                          timeout=EXEC_TIMEOUT_S, stdin=subprocess.DEVNULL, cwd=workdir)


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def run_cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """`codex-router ARGS` in a fresh interpreter, as a user would run it."""
    import sys

    root = Path(__file__).resolve().parents[2]
    return subprocess.run([sys.executable, "-m", "hooks.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=root, stdin=subprocess.DEVNULL)


def app_server_hooks(codex_bin: Path, home: Path, cwd: Path, timeout: float = 60) -> list[dict]:
    """``hooks/list`` from ``codex app-server`` over its stdio JSON-RPC: Codex's own view of each hook,
    with ``currentHash`` and ``trustStatus``."""
    import select
    import time

    proc = subprocess.Popen([str(codex_bin), "app-server"], env=codex_env(home, codex_bin), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=cwd)
    try:
        def send(message: dict) -> None:
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()

        def reply(request_id: int) -> dict:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
                line = proc.stdout.readline() if ready else ""
                if not line:
                    break
                message = json.loads(line)
                if message.get("id") == request_id:
                    if "error" in message:
                        raise RuntimeError(f"app-server: {message['error']}")
                    return message["result"]
            raise TimeoutError(f"codex app-server gave no reply to request {request_id}")

        send({"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "codex-router-tests",
                                                                         "version": "1"}}})
        reply(1)
        send({"method": "initialized"})
        send({"id": 2, "method": "hooks/list", "params": {"cwds": [str(cwd)]}})
        return [hook for entry in reply(2)["data"] for hook in entry["hooks"]]
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
