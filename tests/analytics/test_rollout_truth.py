"""Codex spend against a generated rollout tree whose true usage is known call by call (issue 14 items 1, 3):
forks and sub-agents are not charged their parent's copied history, token_usage_record lines and cache writes
are read, and long-context price tiers apply per call."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from analytics import run_queries
from analytics.paths import repo_root
from analytics.prices import PriceBook
from analytics.rollout_ingest import RolloutIngester
from analytics.rollout_lines import rollout_files
from analytics.rollout_sessions import parse_rollout
from analytics.rollout_tree import generate
from analytics.store import Store


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.load(Path("/nonexistent/prices.toml"))


def ingest(home: Path, db: Path, book: PriceBook) -> Store:
    store = Store(db)
    result = RolloutIngester(store, home, prices=book).poll()
    assert result.errors == []
    return store


def test_generated_tree_matches_the_truth_per_model_and_day(tmp_path: Path, book: PriceBook) -> None:
    tree = generate(tmp_path / "codex", sessions=80, seed=7, fork_share=0.1, subagent_share=0.08)
    assert tree.forks and tree.subagents and tree.resumes and tree.zst_files
    truth: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for call in tree.calls:
        bucket = truth[(call.model, call.when.date().isoformat())]
        for i, key in enumerate(("input", "cached_input", "output", "reasoning")):
            bucket[i] += getattr(call, key)
    with ingest(tree.home, tmp_path / "db.duckdb", book) as store:
        got = {(m, str(d)): list(v) for m, d, *v in store.execute(
            "SELECT model, day, sum(input), sum(cached_input), sum(output), sum(reasoning) "
            "FROM session_spend GROUP BY ALL").fetchall()}
        assert got == dict(truth)
        writes = store.execute("SELECT sum(cache_write) FROM session_usage").fetchall()[0][0]
        assert writes == tree.totals()["cache_write"] > 0
        total = run_queries.totals(store).row(0, named=True)
        assert total["codex_sessions"] == tree.sessions
        assert total["codex_cost_usd"] == pytest.approx(tree.cost(book), rel=1e-9)


def test_a_fork_is_charged_only_its_own_calls(tmp_path: Path) -> None:
    """A fork and a sub-agent of one parent: each is charged what it added, not the parent's history again."""
    tree = generate(tmp_path / "codex", sessions=3, seed=3, fork_share=0.34, subagent_share=0.34, resume_share=0,
                    zst_share=0, archived_share=0, record_share=0)
    assert (tree.forks, tree.subagents) == (1, 1)
    own = defaultdict(int)
    for call in tree.calls:
        own[call.session_id] += call.input
    for path in rollout_files(tree.home):
        session = parse_rollout(path)
        assert sum(v[0] for v in session.usage.values()) == own[session.session_id], path.name


def test_records_are_the_calls_when_present_and_deduplicated(tmp_path: Path) -> None:
    meta = {"timestamp": "2026-11-03T09:00:00.000Z", "type": "session_meta",
            "payload": {"id": "s-rec", "timestamp": "2026-11-03T09:00:00.000Z", "cwd": "/p"}}
    ctx = {"timestamp": "2026-11-03T09:00:00.100Z", "type": "turn_context", "payload": {"model": "gpt-5.4"}}

    def record(rid: str, inp: int, writes: int) -> dict:
        return {"timestamp": "2026-11-03T09:00:05.000Z", "type": "token_usage_record",
                "payload": {"response_id": rid, "usage": {"input_tokens": inp, "cached_input_tokens": 10,
                                                          "output_tokens": 5, "cache_write_input_tokens": writes}}}

    count = {"timestamp": "2026-11-03T09:00:06.000Z", "type": "event_msg",
             "payload": {"type": "token_count", "info": {"total_token_usage": {"input_tokens": 999,
                                                                               "output_tokens": 9}}}}
    path = tmp_path / "rollout-x.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in
                            (meta, ctx, record("r1", 100, 7), count, record("r1", 100, 7), record("r2", 50, 0))))
    session = parse_rollout(path)
    assert session.usage == {("gpt-5.4", "2026-11-03"): [150, 20, 10, 0]}
    assert [c[-1] for c in session.calls] == [7, 0]  # cache_write_input_tokens, per call


def _genai(model: str, inp: int, cached: int, out: int) -> float:
    usage = Usage(input_tokens=inp, cache_read_tokens=cached, output_tokens=out)
    return float(calc_price(usage, model_ref=model).total_price)


def test_long_context_tier_applies_per_call(tmp_path: Path, book: PriceBook) -> None:
    """gpt-5.4 costs more per token in a request above 272k input tokens (genai-prices): the one big call pays
    the tier, the two ordinary ones do not, although together they are above it too."""
    calls = [(300_000, 200_000, 2_000), (150_000, 100_000, 1_000), (160_000, 100_000, 1_000)]
    lines = [{"timestamp": "2026-11-03T09:00:00.000Z", "type": "session_meta",
              "payload": {"id": "s-tier", "timestamp": "2026-11-03T09:00:00.000Z", "cwd": "/p"}},
             {"timestamp": "2026-11-03T09:00:00.100Z", "type": "turn_context", "payload": {"model": "gpt-5.4"}}]
    totals = [0, 0, 0]
    for n, call in enumerate(calls):
        totals = [t + c for t, c in zip(totals, call, strict=True)]
        lines.append({"timestamp": f"2026-11-03T09:0{n + 1}:00.000Z", "type": "event_msg", "payload": {
            "type": "token_count", "info": {"total_token_usage": dict(zip(
                ("input_tokens", "cached_input_tokens", "output_tokens"), totals, strict=True))}}})
    home = tmp_path / "codex"
    (home / "sessions").mkdir(parents=True)
    (home / "sessions" / "rollout-tier.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    expected = sum(_genai("gpt-5.4", *call) for call in calls)
    assert sum(book.cost("gpt-5.4", *call) for call in calls) == pytest.approx(expected)
    with ingest(home, tmp_path / "db.duckdb", book) as store:
        assert run_queries.totals(store).row(0, named=True)["codex_cost_usd"] == pytest.approx(expected)


def test_a_parse_worker_imports_neither_duckdb_nor_polars() -> None:
    """A spawned worker imports ``rollout_prefetch`` to find its task: what that pulls in, each worker pays."""
    import subprocess
    import sys

    check = ("import sys, analytics.rollout_prefetch; "
             "print(sorted({'duckdb', 'polars', 'pyarrow', 'numpy'} & set(sys.modules)))")
    ran = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True, cwd=repo_root())
    assert ran.stdout.strip() == "[]"


def test_workers_are_forked_only_from_a_single_thread() -> None:
    """A fork of a process running other threads (DuckDB's, a Python thread) could inherit a held lock: the
    workers are spawned then; a single-threaded process (``report`` before DuckDB loads) forks them."""
    import subprocess
    import sys

    check = ("import threading, time, analytics.rollout_prefetch as p; alone = p._one_thread(); "
             "import duckdb; con = duckdb.connect(); con.execute('SELECT 1'); with_duckdb = p._one_thread(); "
             "con.close(); threading.Thread(target=time.sleep, args=(1,), daemon=True).start(); "
             "print(alone, with_duckdb, p._one_thread())")
    ran = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True, cwd=repo_root())
    assert ran.stdout.split() == ["True", "False", "False"]


@pytest.mark.parametrize("one_thread", [True, False], ids=["forked", "spawned"])
def test_a_new_cache_parsed_ahead_in_worker_processes_holds_the_same(tmp_path: Path, book: PriceBook,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     one_thread: bool) -> None:
    """``RolloutPrefetch`` (what `report` starts for a new cache) in two forked or spawned workers stores
    what the serial poll stores; a store that already holds files takes no prefetch."""
    import analytics.rollout_prefetch as prefetching

    tree = generate(tmp_path / "codex", sessions=30, seed=3)
    monkeypatch.setattr(prefetching, "_one_thread", lambda: one_thread)
    monkeypatch.setattr(prefetching, "_BATCH_BYTES", 1)
    monkeypatch.setattr(prefetching, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(prefetching.os, "cpu_count", lambda: 2)
    query = "SELECT * FROM session_usage ORDER BY ALL"
    with ingest(tree.home, tmp_path / "serial.duckdb", book) as store:
        serial = store.execute(query).fetchall()
    prefetch = prefetching.RolloutPrefetch(tree.home)
    with Store(tmp_path / "ahead.duckdb") as store:
        result = RolloutIngester(store, tree.home, prices=book, prefetch=prefetch).poll()
        assert (result.files_read, result.errors) == (tree.files, [])
        assert store.execute(query).fetchall() == serial
        again = prefetching.RolloutPrefetch(tree.home)
        assert RolloutIngester(store, tree.home, prices=book, prefetch=again).poll().files_read == 0
        taken = again.take()  # not taken by the poll of a store that holds files
        assert taken is not None and len(list(taken[1]())) == tree.files and again.take() is None
