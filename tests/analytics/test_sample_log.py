"""The committed sample log is what its generator produces from CodeRouterBench (checked where the benchmark
is), and it has everything the app and what-if need. The generator's own logic runs on made-up figures."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from crb_fixture import write_crb

from analytics.paths import sample_log_dir
from analytics.schema import SchemaError, normalize, parse_ts
from router.datasets import find_coderouterbench
from router.dimension_classifier import DIMENSIONS
from router.priors import Priors

SCRIPT = sample_log_dir() / "generate.py"
COMMITTED = sample_log_dir() / "routing_log.jsonl"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("sample_log_generate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def world(gen):
    """Made-up round figures for every dimension x model (one latency not measured): no benchmark needed."""
    models = importlib.import_module("sample_models")  # beside generate.py, which put its folder on the path
    profiles = {(d, m): models.Profile(0.1 + 0.08 * j, 200 + 50 * i, 100 + 40 * j,
                                       None if d == "agentic" or (i, j) == (0, 0) else 3000 + 500 * j)
                for i, d in enumerate(DIMENSIONS) for j, m in enumerate(models.MODELS)}
    prices = {m: (0.5 * (j + 1), 2.0 * (j + 1)) for j, m in enumerate(models.MODELS)}
    return models.World(prices, profiles, Priors())


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [json.loads(line) for line in COMMITTED.read_text(encoding="utf-8").splitlines()]


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(find_coderouterbench() is None, reason="CodeRouterBench data is not on this machine")
def test_generated_file_is_what_the_generator_writes(tmp_path: Path):
    out = tmp_path / "log.jsonl"
    result = run_script("--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["events"] == len(out.read_bytes().splitlines())
    assert out.read_bytes() == COMMITTED.read_bytes(), "sample_logs/routing_log.jsonl is stale: run sample_logs/generate.py"


def test_size_and_coverage(records):
    assert len(records) >= 2000
    assert COMMITTED.stat().st_size < 3_000_000
    events = [normalize(r) for r in records]  # every line normalises
    kinds = Counter(e["event"] for e in events)
    assert kinds["route"] >= 400 and kinds["outcome"] == kinds["route"]
    assert kinds["override"] > 0 and kinds["tool"] > 0 and kinds["turn"] > 0
    assert sum(1 for e in events if e.get("seed_format")) >= 3
    outcomes = [e for e in events if e["event"] == "outcome"]
    assert {e["model"] for e in outcomes} == {
        "claude-opus-4-6", "claude-sonnet-4-6", "gpt-5.4", "glm-5", "kimi-k2.5", "MiniMax-M2.7", "Qwen3-Max",
        "qwen3.5-plus"}
    assert len({e["dimension"] for e in outcomes}) == 10
    assert 3 <= len({e["cwd"] for e in outcomes}) <= 5


def test_every_written_record_is_stamped_and_in_window(records):
    start, end = parse_ts("2026-11-14T00:00:00Z"), parse_ts("2026-11-27T18:00:00Z")
    for record in records:
        if "event" in record:
            assert record["v"] == 1 and record["ts"].endswith("Z")
        moment = parse_ts(record.get("ts") or record["timestamp"])
        assert start <= moment <= end


def test_routes_carry_propensities_the_policy_could_have_given(records):
    routes = [r for r in records if r.get("event") == "route"]
    assert len({r["task_id"] for r in routes}) == len(routes)
    for route in routes:
        assert 0 < route["propensity"] <= 1
        candidates = route["decision"]["candidates"]
        assert len(candidates) == 8
        assert sum(c["prob"] for c in candidates) == pytest.approx(1.0)
        assert all(c["prob"] > 0 for c in candidates)  # support for off-policy estimates
        for candidate in candidates:
            assert "prior" in candidate["votes"]
        if route["router"] == "manual":
            assert route["propensity"] == 1.0
        else:
            chosen = next(c for c in candidates if c["model"] == route["model"])
            assert route["propensity"] == chosen["prob"] == route["decision"]["propensity"]
    manual = {r["task_id"]: r for r in routes if r["router"] == "manual"}
    overrides = [r for r in records if r.get("event") == "override"]
    assert 0.05 <= len(overrides) / len(routes) <= 0.15
    for override in overrides:
        route = manual[override["task_id"]]
        assert override["model"] == route["model"] != override["proposed_model"]
        assert override["proposed_model"] == route["decision"]["chosen"]
        assert override["router"] == "manual"


def test_outcomes_belong_to_routed_runs(records):
    routed = {r["task_id"] for r in records if r.get("event") == "route"}
    sessions = {r["session_id"] for r in records if r.get("event") == "tool"}
    outcome_sessions = set()
    for outcome in (r for r in records if r.get("event") == "outcome"):
        assert outcome["task_id"] in routed
        assert "oracle_scores" not in outcome
        tokens = outcome["tokens"]
        assert 0 <= tokens["cached_input"] <= tokens["input"]
        assert 0 <= tokens["reasoning"] <= tokens["output"]
        assert outcome["status"] in ("ok", "turn_failed", "timeout", "interrupted")
        assert (outcome["exit_code"] == 0) == (outcome["status"] == "ok")
        outcome_sessions.add(outcome["session_id"])
    assert sessions <= outcome_sessions  # every tool event belongs to a routed run


def test_outcomes_cost_what_their_tokens_cost(gen, world):
    outcomes = [r for r in gen.generate(world, seed=3, days=3) if r.get("event") == "outcome"]
    assert outcomes
    for outcome in outcomes:
        tokens = outcome["tokens"]
        p_in, p_out = world.prices[outcome["model"]]
        expected = ((tokens["input"] - tokens["cached_input"]) * p_in + tokens["cached_input"] * p_in * 0.1
                    + tokens["output"] * p_out) / 1e6
        assert outcome["cost_usd"] == pytest.approx(expected, abs=1e-6)


def test_a_benchmark_folder_without_every_dimension_and_model_is_refused(gen, tmp_path: Path):
    with pytest.raises(gen.DatasetError, match=r"no figures for .* and \d+ more"):
        gen.World.read(write_crb(tmp_path / "crb"))


def test_a_latency_not_measured_falls_back_to_the_models_median(world):
    assert world.median_latency_ms(DIMENSIONS[0], "claude-opus-4-6") == 3000
    assert world.median_latency_ms(DIMENSIONS[1], "gpt-5.4") == 4000


def test_another_seed_gives_another_valid_log(gen, world):
    other = gen.generate(world, seed=7, days=3)
    assert other and [normalize(r) for r in other]
    assert other != gen.generate(world, seed=8, days=3)


def test_validation_names_the_line_and_field(gen):
    with pytest.raises(SchemaError, match=r"generated line 2: score"):
        gen.validate([{"v": 1, "ts": "2026-11-27T10:00:00Z", "event": "turn"},
                      {"v": 1, "ts": "2026-11-27T10:00:00Z", "event": "outcome", "score": 2.0}])


def test_bad_arguments_fail_clearly_and_write_nothing(tmp_path: Path):
    result = run_script("--end", "yesterday")
    assert result.returncode == 2 and "--end" in result.stderr
    result = run_script("--days", "0")
    assert result.returncode == 2 and "--days" in result.stderr
    missing = tmp_path / "absent" / "log.jsonl"
    result = run_script("--out", str(missing), "--data", str(tmp_path))
    assert result.returncode == 1 and "does not exist" in result.stderr
    assert not missing.parent.exists()
    out = tmp_path / "log.jsonl"
    result = run_script("--out", str(out), "--data", str(write_crb(tmp_path / "crb")))
    assert result.returncode == 1 and "no figures for" in result.stderr and not out.exists()


def test_the_log_was_written_by_todays_router(records):
    """Re-scoring each logged decision with today's ACRouter gives its logged probabilities (else: regenerate)."""
    from router.whatif import logged_sample, reproduced

    sample = logged_sample(records)
    same = sum(reproduced(route) for route in sample.routes)
    assert len(sample.routes) >= 400 and same >= 0.98 * len(sample.routes)


def test_the_router_explored_and_learned(records):
    routes = [r for r in records if r.get("event") == "route" and r["router"] == "acrouter"]
    explored = [r for r in routes if r["propensity"] < 0.5]
    assert 0.04 <= len(explored) / len(routes) <= 0.2  # exploration 0.1 picks a non-greedy model 7/8 of that
    first, last = routes[0]["decision"], routes[-1]["decision"]
    assert not any("metadata" in c["votes"] for c in first["candidates"])  # nothing learned yet
    assert sum("metadata" in c["votes"] for c in last["candidates"]) >= 4  # per-language outcomes learned
    assert {r["decision"]["features"]["dimension_confidence"] for r in routes} == {1.0}
