"""The real Codex CLI for tests: `@openai/codex` installed with npm into a cache folder outside the repository.

One npm prefix per exact version (``<user cache dir>/codex-router-tui/npm/<version>``, ``--save-exact``),
reused across runs; a file lock keeps parallel test processes from installing into the same prefix at once.
The package ships its native binary as an optional dependency (``@openai/codex-linux-x64`` is the npm alias of
``@openai/codex@<version>-linux-x64``), so an install only counts when that binary really landed and
``codex --version`` reports the version asked for. `CodexUnavailable` carries the reason a test skips with.
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
from pathlib import Path

import platformdirs

# 0.169.0: the release the issue was seen on; 0.171.0: the newest on the registry on 2026-12-06.
CODEX_VERSIONS = ("0.169.0", "0.171.0")
NPM_TIMEOUT_S = 300
CACHE_ENV = "CODEX_ROUTER_NPM_CACHE"  # overrides the cache folder (e.g. in CI)


class CodexUnavailable(Exception):
    """npm, the registry or the package's native binary cannot be had here; the message says which."""


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("codex-router-tui")) / "npm"


def native_package() -> str:
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    system = {"linux": "linux", "darwin": "darwin"}.get(platform.system().lower())
    if arch is None or system is None:
        raise CodexUnavailable(f"no @openai/codex native package for {platform.system()} {platform.machine()}")
    return f"@openai/codex-{system}-{arch}"


def _version_ok(binary: Path, version: str) -> bool:
    try:
        done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == f"codex-cli {version}"


def install_codex(version: str) -> Path:
    """The `codex` launcher of an exact version, installed once; CodexUnavailable when it cannot be."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise CodexUnavailable("npm/node not on PATH: cannot install @openai/codex")
    prefix = cache_root() / version
    binary = prefix / "node_modules" / ".bin" / "codex"
    native = prefix / "node_modules" / native_package()
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists() and native.is_dir() and _version_ok(binary, version):
            return binary
        manifest = prefix / "package.json"
        if not manifest.exists():
            manifest.write_text('{"private": true}\n', encoding="utf-8")
        try:
            done = subprocess.run([npm, "install", "--prefix", str(prefix), "--save-exact", "--no-audit",
                                   "--no-fund", "--loglevel=error", f"@openai/codex@{version}"],
                                  capture_output=True, text=True, timeout=NPM_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise CodexUnavailable(f"npm install @openai/codex@{version} took over {NPM_TIMEOUT_S}s") from exc
        if done.returncode != 0:
            tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise CodexUnavailable(f"npm install @openai/codex@{version} failed (registry unreachable?): {tail}")
        if not native.is_dir():
            raise CodexUnavailable(f"npm installed @openai/codex@{version} without its native binary "
                                   f"{native_package()} (optional dependency skipped?)")
        if not _version_ok(binary, version):
            raise CodexUnavailable(f"{binary} --version does not report codex-cli {version}")
        return binary
