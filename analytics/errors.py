"""The one base of every error the user can act on, so that one place prints it.

Why here: ``analytics`` is the lowest layer, so every package can derive from it without importing upward.
Each domain error keeps its own class (callers catch ``StoreLockedError``, ``SchemaError``, ...) and also
``ValueError`` / ``RuntimeError`` where it did before. The ``codex-router`` dispatcher (``hooks/cli.py``)
catches ``CodexRouterError``, prints ``codex-router COMMAND: message`` on stderr and exits with ``exit_code``
(usage errors exit 2).
"""

from __future__ import annotations


class CodexRouterError(Exception):
    """A failure the user can act on: one line, and the exit code it carries."""

    exit_code = 1

    def __init__(self, message: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class CommandError(CodexRouterError):
    """A command's own refusal of its arguments or inputs (``exit_code`` 2 for usage errors)."""
