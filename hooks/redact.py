"""Secrets never reach the routing log: task text, messages and test output are cut, then redacted.

The log is read by dashboards, copied into DuckDB and the router's memory, exported and shared, and users
paste keys into prompts by accident. The patterns are detect-secrets' plugins (its regex detectors, the
keyword detector's ``password=...`` forms, basic-auth URLs, private-key headers), exported to
``secret_patterns.json`` by ``python -m hooks.redact`` from the pinned version: importing detect-secrets
costs a second or more (it pulls in requests), too slow for a hook, while the exported list compiles in a
few milliseconds. ``tests/reliability/test_redaction.py`` checks that the file matches the installed
detect-secrets. A few provider key shapes detect-secrets lacks, and whole PEM blocks, are added here.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path
from typing import Any

MAX_LOGGED_CHARS = 2000
PLACEHOLDER = "[REDACTED]"
PATTERNS_FILE = Path(__file__).with_name("secret_patterns.json")
# Redaction reads this far past the cut, so a secret that straddles it is still recognised whole.
_CUT_MARGIN = 1024
_SKIPPED_PLUGINS = {"IPPublicDetector"}  # an IP address is not a secret, and would blank out logs
_EXTRA = [  # key shapes detect-secrets has no plugin for (its OpenAI one knows only the legacy form)
    (r"\bsk-(?:ant-|proj-|or-)?[A-Za-z0-9_\-]{16,}", 0, []),  # OpenAI / Anthropic / OpenRouter
    (r"\bgithub_pat_[A-Za-z0-9_]{20,}", 0, []),
    (r"\bAIza[0-9A-Za-z_\-]{35}\b", 0, []),  # Google API keys
    (r"(?i)\bbearer\s+([A-Za-z0-9._\-~+/]{16,}=*)", 0, [1]),
]
# A private-key header starts a block that ends at its END line (or, cut off, at the end of the text).
_PEM_BLOCK = r"(?:-----)?(?:{header}).*?(?:-----END[ A-Z0-9]*-----|\Z)"


def export_patterns() -> list[dict[str, Any]]:
    """detect-secrets' patterns as JSON-ready entries: plugin, pattern, flags, the groups that are the
    secret (none: the whole match) and whether it starts a private-key block."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.basic_auth import BasicAuthDetector
    from detect_secrets.plugins.private_key import PrivateKeyDetector

    out: list[dict[str, Any]] = []
    for plugin in sorted(get_mapping_from_secret_type_to_class().values(), key=lambda cls: cls.__name__):
        denylist = getattr(plugin, "denylist", None)
        if denylist is None or plugin.__name__ in _SKIPPED_PLUGINS:
            continue
        for regex in denylist:
            out.append({"plugin": plugin.__name__, "pattern": regex.pattern, "flags": regex.flags & ~re.UNICODE,
                        "groups": [1] if plugin is BasicAuthDetector else [],  # the password, not the user
                        "block": plugin is PrivateKeyDetector})
    seen: set[str] = set()
    for name in sorted(vars(keyword)):
        mapping = getattr(keyword, name)
        if not name.endswith("_REGEX_TO_GROUP") or not isinstance(mapping, dict):
            continue
        for regex, group in mapping.items():
            if regex.pattern not in seen:
                seen.add(regex.pattern)
                out.append({"plugin": "KeywordDetector", "pattern": regex.pattern,
                            "flags": regex.flags & ~re.UNICODE, "groups": [group], "block": False})
    return out


@functools.cache
def _patterns() -> list[tuple[re.Pattern[str], list[int]]]:
    entries = json.loads(PATTERNS_FILE.read_text(encoding="utf-8"))["patterns"]
    compiled = []
    for entry in entries:
        pattern, flags = entry["pattern"], entry["flags"]
        if entry["block"]:
            pattern, flags = _PEM_BLOCK.format(header=pattern), flags | re.DOTALL
        compiled.append((re.compile(pattern, flags), entry["groups"]))
    return compiled + [(re.compile(pattern, flags), groups) for pattern, flags, groups in _EXTRA]


def _replace(match: re.Match[str], groups: list[int]) -> str:
    """The match with its secret groups (all of it when none is given) replaced by the placeholder."""
    spans = sorted(match.span(g) for g in groups if match.group(g)) or [match.span()]
    pieces, at = [], match.start()
    for left, right in spans:
        pieces += [match.string[at:left], PLACEHOLDER]
        at = right
    pieces.append(match.string[at:match.end()])
    return "".join(pieces)


def scrub(text: str) -> str:
    """``text`` with every secret the patterns find replaced by ``[REDACTED]`` (no cut)."""
    for pattern, groups in _patterns():
        text = pattern.sub(lambda m, g=groups: _replace(m, g), text)
    return text


def redact(text: str | None, limit: int = MAX_LOGGED_CHARS) -> str | None:
    """Cut ``text`` to ``limit`` characters, then replace secrets with ``[REDACTED]``.

    Cutting first bounds the work (a 5 MB message is not scanned whole); the scan still sees a margin past
    the cut, without the partial word at its end, so a key split by the cut is neither missed nor half-kept.
    """
    if text is None:
        return None
    if len(text) <= limit:
        return scrub(text)
    head = text[: limit + _CUT_MARGIN]
    cut_at = max(head.rfind(" ", limit), head.rfind("\n", limit))
    head = scrub(head[:cut_at] if cut_at > 0 else head[:limit])
    return f"{head[:limit]}…[+{len(text) - limit} chars]"


def main() -> int:
    """Re-export detect-secrets' patterns (after changing its pin in pyproject.toml)."""
    from importlib.metadata import version

    document = {"detect_secrets": version("detect-secrets"), "patterns": export_patterns()}
    PATTERNS_FILE.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"{PATTERNS_FILE}: {len(document['patterns'])} patterns from detect-secrets {document['detect_secrets']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
