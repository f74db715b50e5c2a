"""The dashboard's user-facing errors, on the project's one error base (``analytics.errors``)."""

from __future__ import annotations

from analytics.errors import CodexRouterError


class ServiceError(CodexRouterError):
    """A failure the user can act on (locked DB, unreadable log, bad value): shown as a notification."""
