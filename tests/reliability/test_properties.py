"""Property-based tests (hypothesis) for the log parser, the cost arithmetic and the bench metrics."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analytics.event_queries import range_events
from analytics.ingest import LogIngester
from analytics.metrics import avg_perf, cumulative_regret, perf_per_dollar, regret, total_cost
from analytics.prices import ModelPrice, PriceBook
from analytics.schema import CORE_KEYS, SchemaError, normalize
from analytics.store import Store
from router.baselines import make_baseline
from router.bench import replay
from router.routing import ProbeSet, RoutingTask

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EMPTY_BOOK = PriceBook({}, {})

# ---- the log parser ---------------------------------------------------------------------------------------
_lookalikes = st.sampled_from(["1", "0", "-1", "1.5", "1e3", "true", "null", "{}", "[]", "\\", '"', "\u2028"])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40),
                     st.floats(allow_nan=False, allow_infinity=False, width=32), st.text(max_size=12), _lookalikes)
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                     max_leaves=6)
_timestamps = st.one_of(
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    st.sampled_from(["2026-11-29", "2026-11-29T12:00", "2026-11-29T12:00:00+05:30", "yesterday", "", "2026-13-01",
                     "2026-11-29T25:00:00Z", "20261129T120000"]),
    _json)
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_good_values = {
    "v": st.integers(1, 1000), "event": st.sampled_from(["route", "outcome", "override", "tool", "turn", "session"]),
    "score": st.floats(0, 1), "propensity": st.floats(0, 1), "cost_usd": st.floats(0, 100),
    "latency_ms": st.integers(0, 10**7), "exit_code": st.integers(-255, 255),
    "tokens": st.fixed_dictionaries({}, optional={k: st.integers(0, 10**9) for k in
                                                  ("input", "cached_input", "output", "reasoning")}),
    "decision": st.dictionaries(st.text(max_size=4), _scalars, max_size=2),
    "verifier": st.dictionaries(st.text(max_size=4), _scalars, max_size=2),
    "difficulty": st.one_of(st.sampled_from(["easy", "medium", "hard"]), st.integers(0, 5)),
}


@st.composite
def records(draw):
    """A valid event with some fields replaced by arbitrary JSON (or dropped), plus unknown keys."""
    record = {"v": 1, "ts": "2026-11-29T12:00:00Z", "event": draw(_good_values["event"])}
    for key in draw(st.lists(st.sampled_from(sorted(CORE_KEYS)), max_size=4, unique=True)):
        good = _good_values.get(key, _text)
        record[key] = draw(st.one_of(good, _lookalikes, _json) if key != "ts" else _timestamps)
    for key in draw(st.lists(st.sampled_from(["v", "ts", "event"]), max_size=1)):
        record.pop(key, None)
    record.update(draw(st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k not in CORE_KEYS),
                                       _json, max_size=2)))
    return record


def _verdict(record: dict) -> dict | None:
    try:
        return normalize(json.loads(json.dumps(record)))
    except SchemaError:
        return None


@SETTINGS
@given(st.lists(records(), min_size=1, max_size=25))
def test_ingester_agrees_with_the_schema_line_by_line(batch):
    """DuckDB's bulk path is a conservative mirror of schema.normalize: same verdict, same values."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.jsonl"
        log.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch), encoding="utf-8")
        store = Store(":memory:")
        result = LogIngester(store, [log], prices=EMPTY_BOOK).poll()
        rows = {line: (v, event, model, score, tok, raw) for line, v, event, model, score, tok, raw in
                range_events(store).select("line", "v", "event", "model", "score", "tokens_input", "raw").rows()}
        malformed = {r[0]: r[1] for r in store.execute("SELECT line, error FROM malformed").fetchall()}
        store.close()
    assert result.new_events + result.new_malformed == len(batch)
    for number, record in enumerate(batch, start=1):
        expected = _verdict(record)
        if expected is None:
            assert number in malformed, (record, rows.get(number))
            continue
        assert number in rows, (record, malformed.get(number))
        v, event, model, score, tokens_input, raw = rows[number]
        assert (v, event, model) == (expected["v"], expected["event"], expected.get("model"))
        assert score == (None if expected.get("score") is None else float(expected["score"]))
        assert tokens_input == (expected.get("tokens") or {}).get("input")
        kept = json.loads(raw)
        assert set(kept) >= set(record) - {"timestamp", "task_hint"}  # unknown keys are kept


def _ingest(log: Path, small_batch: int) -> tuple[list[tuple], list[tuple]]:
    """Every stored column of every event (the location too) and every malformed line, in line order."""
    with Store(":memory:") as store:
        LogIngester(store, [log], prices=EMPTY_BOOK, small_batch=small_batch).poll()
        events = store.execute("SELECT * EXCLUDE (log, file) FROM events ORDER BY line").fetchall()
        malformed = store.execute("SELECT line, error IS NOT NULL FROM malformed ORDER BY line").fetchall()
    return events, malformed


@SETTINGS
@given(st.lists(records(), min_size=1, max_size=25))
def test_bulk_sql_path_stores_what_the_python_path_stores(batch):
    """The same lines through DuckDB's bulk query (``small_batch=0``) and through ``schema.normalize`` alone
    (``small_batch`` above the batch): the same rows, column for column, and the same lines set aside."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.jsonl"
        log.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch), encoding="utf-8")
        assert _ingest(log, small_batch=0) == _ingest(log, small_batch=10**9)


@SETTINGS
@given(st.lists(st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=30))
def test_arbitrary_bytes_never_crash_and_every_line_is_accounted_for(lines):
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.jsonl"
        log.write_bytes(b"".join(x + b"\n" for x in lines))
        store = Store(":memory:")
        result = LogIngester(store, [log], prices=EMPTY_BOOK).poll()
        numbers = sorted(r[0] for r in store.execute("SELECT line FROM events UNION ALL SELECT line FROM malformed")
                         .fetchall())
        store.close()
    expected = [i for i, x in enumerate(lines, start=1) if x.strip()]
    assert result.new_events + result.new_malformed == len(expected)
    assert numbers == expected


# ---- cost arithmetic --------------------------------------------------------------------------------------
_rate = st.floats(0, 200, allow_nan=False)
_tokens = st.integers(0, 10**9)


@st.composite
def usage(draw):
    total_in = draw(_tokens)
    total_out = draw(_tokens)
    return {"input": total_in, "cached_input": draw(st.integers(0, total_in)), "output": total_out,
            "reasoning": draw(st.integers(0, total_out))}


@SETTINGS
@given(_rate, _rate, _rate, usage())
def test_cost_is_the_documented_formula_and_counts_nothing_twice(p_in, p_cached, p_out, tokens):
    price = ModelPrice("m", p_in, p_cached, p_out, "override")
    book = PriceBook({"m": price}, {})
    cost = book.cost("m", **tokens)
    expected = ((tokens["input"] - tokens["cached_input"]) * p_in + tokens["cached_input"] * p_cached
                + tokens["output"] * p_out) / 1e6
    assert cost >= 0 and math.isclose(cost, expected, rel_tol=1e-9, abs_tol=1e-12)
    # reasoning is inside output, cached inside input: neither is billed on top
    assert book.cost("m", **{**tokens, "reasoning": 0}) == cost
    if p_cached <= p_in:
        uncached = book.cost("m", **{**tokens, "cached_input": 0})
        assert cost <= uncached or math.isclose(cost, uncached, rel_tol=1e-12)  # equal rates: rounding only
    assert book.cost("m", **{**tokens, "output": tokens["output"] + 1}) >= cost
    assert book.cost("no-such-model-xyz", **tokens) is None  # unpriced, never $0


@SETTINGS
@given(_rate, _rate, _rate, st.lists(usage(), min_size=1, max_size=8))
def test_the_store_prices_events_like_python_does(p_in, p_cached, p_out, runs):
    """The dashboard's SQL view and the launcher's Python arithmetic give the same USD."""
    book = PriceBook({"m": ModelPrice("m", p_in, p_cached, p_out, "override")}, {})
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.jsonl"
        log.write_text("".join(json.dumps({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "outcome", "model": "m",
                                           "task_id": f"t{i}", "score": 1.0, "tokens": t}) + "\n"
                               for i, t in enumerate(runs)), encoding="utf-8")
        store = Store(":memory:")
        LogIngester(store, [log], prices=book).poll()
        costs = [r[0] for r in store.execute("SELECT cost FROM priced_events ORDER BY line").fetchall()]
        store.close()
    for cost, tokens in zip(costs, runs, strict=True):
        assert math.isclose(cost, book.cost("m", **tokens), rel_tol=1e-9, abs_tol=1e-12)


# ---- bench metrics ----------------------------------------------------------------------------------------
@st.composite
def outcome_tables(draw):
    n_tasks = draw(st.integers(1, 12))
    models = [f"m{i}" for i in range(draw(st.integers(1, 4)))]
    scores = draw(st.lists(st.lists(st.floats(0, 1), min_size=len(models), max_size=len(models)),
                           min_size=n_tasks, max_size=n_tasks))
    costs = draw(st.lists(st.lists(st.floats(0, 5), min_size=len(models), max_size=len(models)),
                          min_size=n_tasks, max_size=n_tasks))
    return models, np.array(scores), np.array(costs)


def _replay(name: str, models, scores, costs):
    tasks = [RoutingTask(f"t{i}", "code_generation", f"task {i}") for i in range(len(scores))]
    results = pl.DataFrame({"task_id": [t.task_id for t in tasks for _ in models],
                            "model": [m for _ in tasks for m in models],
                            "score": scores.reshape(-1), "cost_usd": costs.reshape(-1)})
    probe = ProbeSet([], pl.DataFrame(schema={"task_id": pl.String, "model": pl.String, "score": pl.Float64,
                                              "cost_usd": pl.Float64}), list(models))
    return replay(make_baseline(name, test_results=results, seed=3), probe, tasks, results)


@SETTINGS
@given(outcome_tables(), st.sampled_from(["oracle", "random", "always"]))
def test_replay_metrics_are_consistent(table, router):
    models, scores, costs = table
    name = f"always:{models[-1]}" if router == "always" else router
    result = _replay(name, models, scores, costs)
    chosen = np.array([s.score for s in result.steps])
    spent = np.array([s.cost for s in result.steps])
    assert 0.0 <= result.avg_perf <= 100.0
    assert math.isclose(result.avg_perf, 100 * chosen.mean(), abs_tol=1e-9)
    assert math.isclose(result.cost_usd, spent.sum(), rel_tol=1e-9, abs_tol=1e-12)
    curve = np.cumsum(regret([s.best_score for s in result.steps], chosen))
    assert np.all(np.diff(curve) >= -1e-12) and result.cum_regret >= -1e-12
    assert math.isclose(curve[-1], result.cum_regret, abs_tol=1e-9)
    if router == "oracle":
        assert math.isclose(result.cum_regret, 0.0, abs_tol=1e-12)
        assert math.isclose(result.avg_perf, 100 * scores.max(axis=1).mean(), abs_tol=1e-9)
    if router == "always":
        assert math.isclose(result.avg_perf, 100 * scores[:, -1].mean(), abs_tol=1e-9)
        assert math.isclose(result.cum_regret, float((scores.max(axis=1) - scores[:, -1]).sum()), abs_tol=1e-9)
    if result.cost_usd > 0:
        assert math.isclose(result.perf_per_dollar, result.avg_perf / result.cost_usd)
    else:
        assert result.perf_per_dollar is None


@SETTINGS
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=30), st.floats(0, 1e6))
def test_metric_functions(pairs, spend):
    best = [max(a, b) for a, b in pairs]
    chosen = [min(a, b) for a, b in pairs]
    assume(all(math.isfinite(x) for x in best))
    perf = avg_perf(chosen)
    assert 0.0 <= perf <= 100.0 and (perf == 0.0 if not pairs else True)
    assert cumulative_regret(best, chosen) >= 0
    assert cumulative_regret(best, best) == 0
    assert total_cost([spend, 0.0]) == spend
    ratio = perf_per_dollar(perf, spend)
    assert ratio is None if spend == 0 else math.isclose(ratio, perf / spend)
