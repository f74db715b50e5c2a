"""Secrets never reach the routing log: task text and messages are redacted and bounded before logging.

The log is read by dashboards, exported and shared, and users paste keys into prompts by accident.
"""

from __future__ import annotations

import re

MAX_LOGGED_CHARS = 2000
_SECRET_PATTERNS = [
    re.compile(r"\bsk-(?:ant-|proj-|or-)?[A-Za-z0-9_\-]{16,}"),  # OpenAI / Anthropic / OpenRouter
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),  # Google API keys
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),  # Slack
    re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._\-]{16,}"),
]


def redact(text: str | None, limit: int = MAX_LOGGED_CHARS) -> str | None:
    """Replace API-key-like strings with ``[REDACTED]`` and cut the text to ``limit`` characters."""
    if text is None:
        return None
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)} [REDACTED]" if m.re.groups else "[REDACTED]", text)
    if len(text) > limit:
        text = f"{text[:limit]}…[+{len(text) - limit} chars]"
    return text
