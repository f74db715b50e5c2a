"""Every Codex-version-dependent choice lives here, so a Codex release means editing one file.

Codex changes fast (DESIGN §6). We read ``codex --version`` ("codex-cli 0.169.0"), let the user override it
(``--codex-version``), and when Codex is missing we assume ``ASSUMED_VERSION`` and say so. Callers ask
questions ("which profile form?", "which exec flags?") instead of comparing version numbers themselves.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from analytics.errors import CodexRouterError

CODEX_BIN_ENV = "CODEX_BIN"
# What we assume when Codex cannot be asked: the newest release the integration tests run.
ASSUMED_VERSION = (0, 171, 0)
# `codex --profile NAME` overlays $CODEX_HOME/NAME.config.toml; older Codex reads [profiles.NAME] tables,
# and 0.134+ refuses to start when config.toml still holds a legacy table for the selected profile.
PROFILE_FILES_SINCE = (0, 134, 0)

# Linux refuses one argv string over 128 KiB (E2BIG) and all of argv + environment over ARG_MAX; a prompt
# larger than this goes through stdin (`codex exec ... -`) instead, with room to spare for the rest.
STDIN_PROMPT_BYTES = 64 * 1024
# The Codex releases the integration tests run (tests/integration) and `doctor` calls supported.
TESTED_VERSIONS = ((0, 169, 0), (0, 171, 0))
# The oldest Codex whose --json events, hooks and profile files match what we write.
MIN_SUPPORTED = (0, 169, 0)

_VERSION_RE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


class CodexVersionError(CodexRouterError, ValueError):
    """A version string we cannot read."""


def parse_version(text: str) -> tuple[int, int, int]:
    """``"codex-cli 0.169.0"`` (or ``"0.169"``) -> ``(0, 169, 0)``."""
    match = _VERSION_RE.search(text or "")
    if not match:
        raise CodexVersionError(f"not a Codex version: {text!r} (expected e.g. 'codex-cli 0.169.0')")
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def codex_binary() -> str | None:
    """``$CODEX_BIN`` when set, else ``codex`` on PATH; None when neither exists."""
    configured = os.environ.get(CODEX_BIN_ENV)
    if configured:
        return shutil.which(configured) or (configured if os.access(configured, os.X_OK) else None)
    return shutil.which("codex")


@dataclass(frozen=True)
class CodexVersion:
    """A version and where it came from: ``codex --version``, ``--codex-version``, or ``assumed``."""

    version: tuple[int, int, int]
    source: str
    binary: str | None = None

    @property
    def text(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def supported(self) -> bool:
        return self.version >= MIN_SUPPORTED

    @property
    def profile_form(self) -> str:
        """``"file"`` (NAME.config.toml) or ``"table"`` ([profiles.NAME] in config.toml)."""
        return "file" if self.version >= PROFILE_FILES_SINCE else "table"

    def describe(self) -> str:
        if self.source == "assumed":
            return (f"Codex not found (set {CODEX_BIN_ENV} or put `codex` on PATH); assuming {self.text}, "
                    f"so profiles use the {self.profile_form} form — pass --codex-version to choose")
        return f"Codex {self.text} (from {self.source}); profiles use the {self.profile_form} form"


def detect(override: str | None = None, timeout_s: float = 10.0) -> CodexVersion:
    """The Codex version to write config for. Raises CodexVersionError only for a bad ``override``."""
    if override:
        return CodexVersion(parse_version(override), "--codex-version", codex_binary())
    binary = codex_binary()
    if binary is None:
        return CodexVersion(ASSUMED_VERSION, "assumed")
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=timeout_s,
                              stdin=subprocess.DEVNULL)
        return CodexVersion(parse_version(done.stdout or done.stderr), "codex --version", binary)
    except (OSError, subprocess.TimeoutExpired, CodexVersionError):
        return CodexVersion(ASSUMED_VERSION, "assumed", binary)


def exec_argv(binary: str, *, model: str, cwd: str, prompt: str, profile: str | None = None,
              sandbox: str = "workspace-write", last_message_file: str | None = None) -> tuple[list[str], str | None]:
    """argv for a non-interactive run, and the text to send on stdin (or None).

    The prompt goes after ``--`` so clap never reads a leading ``-`` as a flag. A prompt of exactly ``-``
    means "read stdin" to ``codex exec``, and a prompt over STDIN_PROMPT_BYTES would not fit in argv (E2BIG),
    so those are sent through stdin instead, verbatim, with ``-`` as the argument. ``--full-auto`` is not
    used (gone since 0.147); ``-s workspace-write`` says the same thing explicitly.
    """
    argv = [binary, "exec", "--json", "--skip-git-repo-check", "-m", model, "-C", cwd, "-s", sandbox]
    if profile:
        argv += ["-p", profile]
    if last_message_file:
        argv += ["-o", last_message_file]
    if prompt == "-" or len(prompt.encode("utf-8", "surrogatepass")) > STDIN_PROMPT_BYTES:
        return [*argv, "--", "-"], prompt
    return [*argv, "--", prompt], None


def interactive_argv(binary: str, *, model: str, cwd: str, prompt: str, profile: str | None = None) -> list[str]:
    """argv for the Codex TUI with the chosen model; the task is its first prompt."""
    argv = [binary, "-m", model, "-C", cwd, "-s", "workspace-write"]
    if profile:
        argv += ["-p", profile]
    return [*argv, "--", prompt] if prompt else argv
