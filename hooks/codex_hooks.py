"""What we register with Codex's hook runner (hooks.json): the events, their matchers, and Codex's timeout.

Why its own module: ``install`` writes these entries and the hook itself bounds its stdin wait by the same
timeout; constants only, so the hook reads them without importing ``codex_version`` (~12 ms of start-up).
"""

from __future__ import annotations

# Hook events we install and the tool-name regex for PostToolUse ("" would also match every tool).
HOOK_EVENTS = {"PostToolUse": ".*", "Stop": None}
HOOK_TIMEOUT_S = 5  # Codex's hook timeout: the `timeout` install writes into hooks.json
