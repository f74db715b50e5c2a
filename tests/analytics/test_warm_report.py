"""A warm `report` (nothing changed since the last one) stats files and runs the SQL: it resolves no prices
and loads no price catalogue, yet an edited prices.toml still applies (issue 14 item 2, warm <= 0.5 s)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.paths import repo_root
from analytics.prices import PriceBook
from analytics.rollout_tree import generate
from analytics.store import MEMORY, Store


def _counting(book: PriceBook, calls: list[str]) -> PriceBook:
    price = book.price
    book.price = lambda model: calls.append(model) or price(model)  # type: ignore[method-assign]
    return book


def test_prices_are_resolved_again_only_when_their_sources_or_the_models_change(tmp_path: Path) -> None:
    override = tmp_path / "prices.toml"
    override.write_text('[models."house-model"]\ninput_per_mtok = 1\noutput_per_mtok = 2\n', encoding="utf-8")
    with Store(MEMORY) as store:
        store.execute("INSERT INTO session_usage VALUES ('s1', 'house-model', '2026-11-01', '2026-11-01 09:00', "
                      "1000000, 0, 1000000, 0, 0)")
        calls: list[str] = []
        assert store.refresh_prices(_counting(PriceBook.load(override), calls)) == []
        assert calls == ["house-model"]
        calls.clear()
        assert store.refresh_prices(_counting(PriceBook.load(override), calls)) == []
        assert calls == []  # same tables, same models: the stored prices stand
        cost = "SELECT sum(cost) FROM session_spend"
        assert store.execute(cost).fetchone()[0] == pytest.approx(3.0)

        override.write_text('[models."house-model"]\ninput_per_mtok = 10\noutput_per_mtok = 20\n', encoding="utf-8")
        store.refresh_prices(_counting(PriceBook.load(override), calls))
        assert calls == ["house-model"]
        assert store.execute(cost).fetchone()[0] == pytest.approx(30.0)

        calls.clear()
        store.execute("INSERT INTO session_usage VALUES ('s2', 'unknown-model-x', '2026-11-01', "
                      "'2026-11-01 09:00', 1, 0, 1, 0, 0)")
        assert store.refresh_prices(_counting(PriceBook.load(override), calls)) == ["unknown-model-x"]
        assert sorted(calls) == ["house-model", "unknown-model-x"]
        calls.clear()
        assert store.refresh_prices(_counting(PriceBook.load(override), calls)) == ["unknown-model-x"]
        assert calls == []


def test_a_warm_report_loads_no_price_catalogue(tmp_path: Path) -> None:
    home = tmp_path / "codex"
    generate(home, sessions=6, seed=1)
    log = tmp_path / "routing_log.jsonl"
    log.write_text('{"v": 1, "ts": "2026-11-01T09:00:00Z", "event": "outcome", "task_id": "t1", '
                   '"model": "gpt-5.4", "score": 1.0, "tokens": {"input": 100, "output": 10}}\n', encoding="utf-8")
    argv = [sys.executable, "-X", "importtime", "-m", "hooks.cli", "report", "--codex-home", str(home),
            "--log", str(log), "--db", str(tmp_path / "r.duckdb"), "--json"]
    env = {**os.environ, "PYTHONPATH": str(repo_root())}

    def loaded() -> set[str]:
        """The top-level packages the report imported (-X importtime; a thread's imports are listed too)."""
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")}

    assert "genai_prices.types" in loaded()  # cold: the models are priced
    warm = loaded()
    assert not {name for name in warm if name.startswith("genai_prices")} and "pyarrow.compute" not in warm
