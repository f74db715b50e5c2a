"""Each figure's SQL form and its numpy/Python form agree on the same rows (analytics/metrics.py)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import metrics
from analytics.prices import Rates

score = st.one_of(st.none(), st.floats(0.0, 1.0))
# What a run can cost: nothing, or at least 1e-9 USD (one token at a cent per million tokens is 1e-8). Drawn
# down to the smallest float, AvgPerf% / cost overflows to inf (below ~1e-306 USD, never a real cost): every
# form agrees on inf, but numpy warns, and such a case tests nothing the product meets.
usd = st.one_of(st.just(0.0), st.floats(1e-9, 5.0))
cost = st.one_of(st.none(), usd)
runs = st.lists(st.tuples(score, cost), min_size=0, max_size=30)


def _sql(rows: list[tuple], select: str, params: list | None = None):
    con = duckdb.connect()
    con.execute("CREATE TABLE r (score DOUBLE, cost DOUBLE)")
    if rows:
        con.executemany("INSERT INTO r VALUES (?, ?)", rows)
    return con.execute(f"SELECT {select} FROM r", params or []).fetchone()


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a == pytest.approx(b, rel=1e-9))


@settings(max_examples=40, deadline=None)
@given(runs, st.integers(1, 5))
def test_points_per_usd(rows, min_runs) -> None:
    got = _sql(rows, metrics.points_per_usd_sql(min_runs))[1]
    assert _close(got, metrics.points_per_usd([s for s, _ in rows], [c for _, c in rows], min_runs))


@settings(max_examples=40, deadline=None)
@given(runs, st.floats(0.0, 1.0))
def test_win_rate(rows, win_threshold) -> None:
    got = _sql(rows, metrics.win_rate_sql("score", "?") + " AS w", [win_threshold])[0]
    assert _close(got, metrics.win_rate([s for s, _ in rows], win_threshold))


@pytest.mark.filterwarnings("error::RuntimeWarning")  # an overflow in the array form fails the test
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.0), usd), min_size=1, max_size=30))
def test_perf_per_dollar_sql_numpy_and_array_forms(rows) -> None:
    sql = metrics.perf_per_dollar_sql(metrics.avg_perf_sql("score"), "sum(cost)")
    got = _sql(rows, sql)[0]
    scores, costs = [s for s, _ in rows], [c for _, c in rows]
    scalar = metrics.perf_per_dollar(metrics.avg_perf(scores), metrics.total_cost(costs))
    assert _close(got, scalar)
    array = metrics.perf_per_dollar_array(np.array([metrics.avg_perf(scores)]), np.array([sum(costs)]))[0]
    assert _close(None if np.isnan(array) else float(array), scalar)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=0, max_size=30))
def test_regret(rows) -> None:
    got = _sql(rows, f"COALESCE(sum({metrics.regret_sql('score', 'cost')}), 0)")[0]
    assert got == pytest.approx(metrics.cumulative_regret([b for b, _ in rows], [c for _, c in rows]), abs=1e-9)


tokens = st.integers(0, 3_000_000)
rate = st.floats(0.0, 100.0)


@settings(max_examples=40, deadline=None)
@given(tokens, tokens, tokens, tokens, rate, rate, rate, st.one_of(st.none(), rate))
def test_token_cost(inp, cached, out, write, r_in, r_cached, r_out, r_write) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE p (input_per_mtok DOUBLE, cached_input_per_mtok DOUBLE, output_per_mtok DOUBLE, "
                "cache_write_per_mtok DOUBLE)")
    con.execute("INSERT INTO p VALUES (?, ?, ?, ?)", [r_in, r_cached, r_out, r_write])
    sql = metrics.token_cost_sql(str(inp), str(cached), str(out), str(write))
    got = con.execute(f"SELECT {sql} FROM p").fetchone()[0]
    want = Rates(r_in, r_cached, r_out, r_write).cost(inp, cached, out, write)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
