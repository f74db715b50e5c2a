"""A fresh install's priors: the probing split of the CodeRouterBench folder $CODEX_ROUTER_PROBING_DATA names,
else the aggregates of that split shipped as package data; saved priors win.

Every test runs with $CODEX_ROUTER_PROBING_DATA empty (tests/conftest.py), as on a user's machine: it sees the
shipped priors, never the shared benchmark copy."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from crb_fixture import write_crb

from router import datasets
from router.dimension_classifier import DIMENSIONS
from router.features import TaskFeatures
from router.prior_records import to_records
from router.priors import Priors
from router.settings import RouterSettings
from router.state import (
    DEFAULT_MODELS,
    PROBING_DATA_ENV,
    SHIPPED_ORIGIN,
    SHIPPED_PRIORS,
    RouterState,
    StateError,
    render_priors_file,
)

ID_DIMENSIONS = tuple(d for d in DIMENSIONS if d != "agentic")  # the probing split has no agentic tasks


def _features(dimension: str | None) -> TaskFeatures:
    return TaskFeatures("t", dimension, 1.0, None, 0.0, "medium", 0.0)


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = write_crb(tmp_path / "crb")
    monkeypatch.setenv(PROBING_DATA_ENV, str(folder))
    return folder


def test_without_a_benchmark_a_fresh_state_has_the_shipped_priors():
    state = RouterState.load()
    assert state.models == list(DEFAULT_MODELS) and set(state.priors.models) == set(DEFAULT_MODELS)
    assert set(state.priors.cells) == {(), *((("dimension", d),) for d in ID_DIMENSIONS)}
    assert state.priors.origin == SHIPPED_ORIGIN
    for models in state.priors.cells.values():
        assert all(cell.n > 0 and cell.cost_n > 0 and not cell.edited for cell in models.values())
    decision = state.router().decide(_features("bug_fixing"))
    assert decision.basis == "evidence" and SHIPPED_ORIGIN in decision.basis_note


def test_the_shipped_file_holds_aggregates_and_sits_beside_its_licence():
    text = SHIPPED_PRIORS.read_text(encoding="utf-8")
    assert "task_id" not in text and "dim1_" not in text  # no rows, no task ids
    assert "MIT" in text and (SHIPPED_PRIORS.parent / "coderouterbench_LICENSE.txt").read_text().startswith("MIT")


def test_a_fresh_state_starts_from_the_probing_split_only(bench: Path):
    priors = RouterState.load().priors
    assert set(priors.cells) == {(), (("dimension", "code_generation"),), (("dimension", "algorithm"),)}
    generation = priors.cells[(("dimension", "code_generation"),)]
    assert (generation["m-a"].n, generation["m-a"].learned_score) == (2, 1.0)  # fixture1 + fixture2, not the test task
    assert (generation["m-b"].n, generation["m-b"].learned_score) == (2, 0.5)
    assert priors.cells[()]["m-b"].n == 4
    probe = datasets.load_dataset(bench, split="id").probe.results
    cost = probe.filter(pl.col("model") == "m-b")["cost_usd"].mean()
    assert priors.cells[()]["m-b"].learned_cost == pytest.approx(cost)
    for models in priors.cells.values():
        assert all(not cell.edited and not cell.pinned for cell in models.values())


def test_unset_the_shipped_priors_are_used_not_the_shared_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = write_crb(tmp_path / "crb")
    monkeypatch.delenv(PROBING_DATA_ENV)
    monkeypatch.setattr(datasets, "find_coderouterbench", lambda: folder)
    assert RouterState.load().priors.origin == SHIPPED_ORIGIN


@pytest.mark.skipif(datasets.find_coderouterbench() is None, reason="CodeRouterBench data is not on this machine")
def test_the_shipped_file_is_what_the_script_derives_from_the_benchmark():
    assert render_priors_file(datasets.find_coderouterbench()) == SHIPPED_PRIORS.read_text(encoding="utf-8")


def test_saved_priors_win_and_a_file_without_priors_gets_the_default_ones(bench: Path):
    mine = Priors.from_rows([{"dimension": "bug_fixing", "model": "glm-5", "score": 0.9, "cost_usd": 0.01}])
    RouterState(RouterSettings(k=3), mine).save()
    loaded = RouterState.load()
    assert to_records(loaded.priors) == to_records(mine) and loaded.models == ["glm-5"]
    loaded.state_path.write_text("[settings]\nk = 3\n", encoding="utf-8")
    again = RouterState.load()
    assert again.settings.k == 3 and again.models == list(DEFAULT_MODELS)
    assert again.priors.cells[()]["m-a"].n == 4


def test_learning_adds_to_the_default_counts_and_saves_them(bench: Path):
    before = {path.name: path.read_bytes() for path in bench.iterdir()}
    state = RouterState.load()
    cell = state.priors.cells[(("dimension", "algorithm"),)]["m-b"]
    state.router().update(_features("algorithm"), "m-b", 1.0, 0.001)
    assert cell.n == 3
    state.save()
    assert RouterState.load().priors.cells[(("dimension", "algorithm"),)]["m-b"].n == 3
    assert {path.name: path.read_bytes() for path in bench.iterdir()} == before


def test_a_damaged_benchmark_folder_is_refused_naming_it(bench: Path):
    (bench / "models.json").write_text("{", encoding="utf-8")
    with pytest.raises(StateError, match=rf"{PROBING_DATA_ENV}=.*models.json"):
        RouterState.load()


def test_with_the_shipped_priors_a_fresh_state_routes_by_kind_of_task():
    state = RouterState.load()
    assert set(state.priors.models) == set(DEFAULT_MODELS)
    assert set(state.priors.cells) == {(), *((("dimension", d),) for d in ID_DIMENSIONS)}
    router = state.router()
    chosen = set()
    for dimension in (*ID_DIMENSIONS, None):
        decision = router.decide(_features(dimension))
        first, second = sorted((c.reward + c.bonus for c in decision.candidates), reverse=True)[:2]
        assert first > second, dimension  # near ties exist in the data (multi_language), exact ones not
        chosen.add(decision.chosen)
    assert len(chosen) >= 3  # the winner depends on the kind of task, not on the order of the names
