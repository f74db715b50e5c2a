"""Hostile task text through the route launcher: it reaches Codex verbatim as one argument and runs
nothing else; API-key-like strings never reach the routing log (nor later decisions that quote the task);
log and state files are created 0600 whatever the umask."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from hooks.launcher import RouteLauncher
from hooks.settings import HooksSettings

FAKE_CODEX = Path(__file__).resolve().parents[1] / "fake_codex" / "codex"
MODELS = ["gpt-5.4", "glm-5"]
SECRETS = ["sk-proj-A1b2C3d4E5f6G7h8I9j0KLMNOPqrst", "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
           "AKIAIOSFODNN7EXAMPLE", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"]
# What the old hand-written list let through: each is "prefix secret", only the secret must go.
KEYED_SECRETS = {"password=": "hunter2-Secret", "AWS_SECRET_ACCESS_KEY=": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                 "postgres://app:": "db-hunter2@db.internal/app"}
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bqSecretBody\n-----END RSA PRIVATE KEY-----"


class HashEmbedder:
    """Deterministic bag-of-words vectors: equal texts are neighbours, no model download, no torch."""

    loaded = True

    def load(self) -> None:
        return None

    def encode(self, texts):
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in str(text).lower().split():
                out[row, int(hashlib.sha256(word.encode()).hexdigest(), 16) % 384] += 1.0
            out[row] /= max(float(np.linalg.norm(out[row])), 1e-9)
            if not out[row].any():
                out[row, 0] = 1.0
        return out


class State:
    """The launcher's view of RouterState (``router()``, ``save()``) over a real ACRouter with real Memory."""

    def __init__(self, path: Path) -> None:
        from router.memory import Memory
        from router.policy import ACRouter
        from router.priors import Priors

        rows = [{"dimension": "code_generation", "model": m, "score": 0.6, "cost_usd": 0.01} for m in MODELS]
        self.memory = Memory(capacity=100)
        self.path = path
        self._router = ACRouter(list(MODELS), Priors.from_rows(rows), self.memory)

    def router(self):
        return self._router

    def save_learned(self) -> None:
        self.memory.save(self.path)


class Prices:
    def cost(self, model, input=0, cached_input=0, output=0, reasoning=0):
        return ((input - cached_input) + cached_input * 0.1 + output * 10.0) / 1e6


@pytest.fixture
def env(tmp_path, monkeypatch):
    from router.features import FeatureExtractor

    monkeypatch.setenv("CODEX_BIN", str(FAKE_CODEX))
    monkeypatch.setenv("FAKE_CODEX_ARGV_FILE", str(tmp_path / "argv.json"))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("FAKE_CODEX_SCENARIO", raising=False)
    repo = tmp_path / "repo"
    repo.mkdir()
    state = State(Path(os.environ["CODEX_ROUTER_DATA_DIR"]) / "memory.npz")
    launcher = RouteLauncher(tmp_path / "codex" / "routing_log.jsonl", state=state,
                             extractor=FeatureExtractor(HashEmbedder()), price_book=Prices(),
                             settings=HooksSettings(test_command=["true"], test_timeout_s=30))
    return launcher, repo, tmp_path


HOSTILE = {
    "quotes": "say \"hi\" and 'bye' and \\\"escaped\\\"",
    "newlines": "line one\nline two\r\n\tindented\n",
    "command-substitution": "$(touch {marker}) and ${{HOME}}",
    "backticks": "`touch {marker}`",
    "semicolon": "x; touch {marker}; echo done",
    "pipes-and-redirects": "a | touch {marker} > /dev/null && touch {marker} || true &",
    "leading-help": "--help",
    "leading-help-with-text": "--help me write a parser; $(touch {marker})",
    "leading-dash-dash": "-- -m evil-model",
    "nul-free-unicode": "日本語 🚀 \u202e reversed \u2028 separator",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_task_reaches_codex_verbatim_and_runs_nothing_else(env, name):
    launcher, repo, tmp_path = env
    marker = tmp_path / f"pwned-{name}"
    task = HOSTILE[name].format(marker=marker)
    result = launcher.run(task, model="gpt-5.4", cwd=repo)
    assert result.status == "ok", result.message
    recorded = json.loads((tmp_path / "argv.json").read_text(encoding="utf-8"))
    assert recorded["argv"][-2:] == ["--", task]
    assert recorded["argv"][recorded["argv"].index("-m") + 1] == "gpt-5.4"
    assert not marker.exists(), "the task text was run by a shell"
    route = next(e for e in _log(launcher) if e["event"] == "route")
    assert route["task"] == task  # nothing secret in it: logged as given


def _log(launcher) -> list[dict]:
    return [json.loads(x) for x in launcher.log_path.read_text(encoding="utf-8").split("\n")[:-1]]


def test_secrets_are_redacted_everywhere_in_the_log(env, ingest):
    """In the log, in DuckDB (ingested from it) and in the router's memory (which keeps task texts)."""
    launcher, repo, tmp_path = env
    keyed = [f"{prefix}{secret}\n" for prefix, secret in KEYED_SECRETS.items()]
    task = "deploy with " + " and ".join(SECRETS) + " then add tests\n" + "".join(keyed) + PEM
    for _ in range(2):  # the second decision quotes the first task as a neighbour
        result = launcher.run(task, model="gpt-5.4", cwd=repo)
        assert result.status == "ok", result.message
    recorded = json.loads((tmp_path / "argv.json").read_text(encoding="utf-8"))
    assert recorded["argv"][-1] == task  # Codex itself gets the task as typed
    text = launcher.log_path.read_text(encoding="utf-8")
    routes = [e for e in _log(launcher) if e["event"] == "route"]
    assert routes[-1]["decision"]["neighbours"], "the second route should have the first as a neighbour"
    assert "[REDACTED]" in routes[0]["task"]
    ingest.log.write_text(text, encoding="utf-8")
    ingest.poll()
    stored = " ".join(str(row) for row in ingest.store.execute("SELECT * FROM events").fetchall())
    assert routes[0]["task_id"] in stored, "the route should be in DuckDB"
    remembered = " ".join(entry.task for entry in launcher.state.memory.entries())
    assert remembered, "the outcome should be in the memory"
    for secret in [*SECRETS, *KEYED_SECRETS.values(), "MIIEowIBAAKCAQEA7bqSecretBody"]:
        assert secret not in text, f"{secret[:6]}... leaked into the routing log"
        assert secret not in stored, f"{secret[:6]}... leaked into DuckDB"
        assert secret not in remembered, f"{secret[:6]}... leaked into the router's memory"


def test_log_and_state_files_are_created_0600(env):
    launcher, repo, _ = env
    old = os.umask(0o022)
    try:
        launcher.run("write add(a, b)", model="gpt-5.4", cwd=repo)
        launcher.state.save_learned()
    finally:
        os.umask(old)
    from analytics.paths import error_log_path

    files = [launcher.log_path, launcher.state.path]
    error_log = error_log_path(launcher.log_path)
    if error_log.exists():
        files.append(error_log)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


class BrokenVerifier:
    def verify(self, *args, **kwargs):
        raise ValueError("cannot convert float NaN to integer")


def test_a_verifier_failure_still_logs_the_outcome(env):
    """Codex ran and spent tokens: whatever the verifier does, the outcome is logged and not learned from."""
    launcher, repo, _ = env
    launcher.verifier = BrokenVerifier()
    result = launcher.run("write add(a, b)", model="gpt-5.4", cwd=repo)
    assert result.status == "verifier_error" and result.score is None
    outcome = next(e for e in _log(launcher) if e["event"] == "outcome")
    assert outcome["status"] == "verifier_error"
    assert outcome["verifier"]["status"] == "verifier_error"
    assert "NaN" in outcome["verifier"]["error"] and outcome["tokens"]
    assert len(launcher.state.memory) == 0, "a verifier failure must not be learned as the model's score"
