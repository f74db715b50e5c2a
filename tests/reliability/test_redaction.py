"""Secrets in task text, messages and test output never reach the log, DuckDB or the router's memory.

The patterns are detect-secrets' (exported to hooks/secret_patterns.json, checked here against the pinned
package); the cases below are the ones the red team found leaking with the old hand-written list.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hooks import redact as redact_module
from hooks.redact import PLACEHOLDER, redact

LEAKS = {
    "password": ("login with password=hunter2-Secret! please", "hunter2-Secret!"),
    "pgpassword": ("PGPASSWORD=pg-s3cret psql -h db", "pg-s3cret"),
    "aws-secret-env": ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "aws-secret-quoted": ('aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
                          "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "postgres-url": ("connect to postgres://app:db-hunter2@db.internal:5432/app", "db-hunter2"),
    "pem-block": ("key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQyNTUxOQAAACB\n"
                  "-----END OPENSSH PRIVATE KEY-----\ndone", "b3BlbnNzaC1rZXktdjEAAAAA"),
    "pem-cut-off": ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq", "MIIEowIBAAKCAQEA7bq"),
    "openai": ("use sk-proj-A1b2C3d4E5f6G7h8I9j0KLMNOPqrst", "A1b2C3d4E5f6G7h8I9j0"),
    "github": ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij"),
}


@pytest.mark.parametrize("name", list(LEAKS))
def test_secret_is_redacted(name):
    text, secret = LEAKS[name]
    out = redact(text)
    assert secret not in out and PLACEHOLDER in out, out


def test_plain_text_is_kept():
    text = "Fix the off-by-one in parse_range and add tests for empty input"
    assert redact(text) == text


def test_long_text_is_cut_before_it_is_scanned():
    """A 5 MB Stop message: cut first (the scan sees only the kept part and a margin), then redacted; a
    secret straddling the cut is not half-kept."""
    key = "sk-proj-" + "Z" * 40
    text = "word " * 399 + "x" * 3 + " " + key + " " + "tail " * 1_000_000
    out = redact(text, limit=2000)
    assert out.endswith(f"…[+{len(text) - 2000} chars]")
    assert "ZZZZ" not in out and len(out) < 2100


def test_cutting_comes_before_redaction(monkeypatch):
    seen: list[int] = []
    real = redact_module.scrub
    monkeypatch.setattr(redact_module, "scrub", lambda text: seen.append(len(text)) or real(text))
    redact("a " * 2_500_000, limit=500)
    assert seen and max(seen) <= 500 + redact_module._CUT_MARGIN


def test_exported_patterns_match_the_pinned_detect_secrets():
    pytest.importorskip("detect_secrets")
    from importlib.metadata import version

    document = json.loads(redact_module.PATTERNS_FILE.read_text(encoding="utf-8"))
    assert document["detect_secrets"] == version("detect-secrets"), "re-run `python -m hooks.redact`"
    assert document["patterns"] == redact_module.export_patterns(), "re-run `python -m hooks.redact`"


def test_the_hook_does_not_import_detect_secrets():
    """Importing detect-secrets costs a second or more (requests); hooks must start fast."""
    code = ("import sys, hooks.redact as r; r.redact('password=abc'); "
            "print(any(m.startswith(('detect_secrets', 'requests')) for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done
