"""The bundled default priors: they parse, a fresh install routes with them, saved priors win, and the
committed file is what ``benchmarks/make_default_priors.py`` writes from CodeRouterBench."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from router.features import TaskFeatures
from router.priors import Priors
from router.settings import RouterSettings
from router.state import DEFAULT_MODELS, DEFAULT_PRIORS_FILE, RouterState, StateError, bundled_priors

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "make_default_priors.py"
BENCH_DATA = ROOT.parent / "shared" / "data" / "coderouterbench"
DIMENSIONS = ("code_generation", "algorithm", "bug_fixing", "code_completion", "code_refactoring", "data_science",
              "multi_language", "code_understanding", "test_generation")


def _features(dimension: str | None) -> TaskFeatures:
    return TaskFeatures("t", dimension, 1.0, None, 0.0, "medium", 0.0)


def test_bundled_file_parses_into_learned_cells_for_every_dimension_and_model():
    priors = bundled_priors()
    assert set(priors.models) == set(DEFAULT_MODELS)
    dims = {value for path in priors.cells for key, value in path if key == "dimension"}
    assert dims == set(DIMENSIONS)
    assert set(priors.cells) == {(), *((("dimension", d),) for d in DIMENSIONS)}
    for models in priors.cells.values():
        assert set(models) == set(DEFAULT_MODELS)
        for cell in models.values():
            assert cell.n > 0 and 0.0 <= cell.learned_score <= 1.0 and cell.learned_cost > 0
            assert not cell.edited and not cell.pinned
    root = priors.cells[()]
    assert sum(priors.cells[(("dimension", d),)]["gpt-5.4"].n for d in DIMENSIONS) == root["gpt-5.4"].n


def test_fresh_state_routes_with_the_bundled_priors_and_does_not_tie():
    state = RouterState.load()
    assert state.models == list(DEFAULT_MODELS)
    assert state.priors.to_records() == bundled_priors().to_records()
    router = state.router()
    chosen = set()
    for dimension in (*DIMENSIONS, None):
        decision = router.decide(_features(dimension))
        first, second = sorted((c.reward + c.bonus for c in decision.candidates), reverse=True)[:2]
        assert first > second, dimension  # near ties exist in the data (multi_language), exact ones not
        assert len({round(c.exp_score, 4) for c in decision.candidates}) == len(DEFAULT_MODELS)
        chosen.add(decision.chosen)
    assert len(chosen) >= 3  # the winner depends on the kind of task, not on the order of the names


def test_saved_priors_win_and_a_file_without_priors_gets_the_bundled_ones(tmp_path: Path):
    mine = Priors.from_rows([{"dimension": "bug_fixing", "model": "glm-5", "score": 0.9, "cost_usd": 0.01}])
    RouterState(RouterSettings(k=3), mine).save()
    loaded = RouterState.load()
    assert loaded.priors.to_records() == mine.to_records() and loaded.models == ["glm-5"]
    path = loaded.state_path
    path.write_text("[settings]\nk = 3\n", encoding="utf-8")
    again = RouterState.load()
    assert again.settings.k == 3 and again.models == list(DEFAULT_MODELS)
    assert again.priors.to_records() == bundled_priors().to_records()


def test_learning_adds_to_the_bundled_counts_without_touching_the_file():
    before = DEFAULT_PRIORS_FILE.read_bytes()
    state = RouterState.load()
    cell = state.priors.cells[(("dimension", "bug_fixing"),)]["kimi-k2.5"]
    n = cell.n
    state.router().update(_features("bug_fixing"), "kimi-k2.5", 1.0, 0.001)
    assert cell.n == n + 1
    state.save()
    assert RouterState.load().priors.cells[(("dimension", "bug_fixing"),)]["kimi-k2.5"].n == n + 1
    assert DEFAULT_PRIORS_FILE.read_bytes() == before


def test_a_damaged_bundled_file_is_refused_with_its_path(tmp_path: Path):
    bad = tmp_path / "default_priors.toml"
    bad.write_text("[[priors]]\nmodel = \"a\"\nn = 3\n", encoding="utf-8")
    with pytest.raises(StateError, match=r"default_priors.toml priors\[0\].score"):
        bundled_priors(path=bad)
    bad.write_text("[[priors]\n", encoding="utf-8")
    with pytest.raises(StateError, match=r"default_priors.toml: not valid TOML.*line 1"):
        bundled_priors(path=bad)


def test_script_refuses_a_missing_data_folder(tmp_path: Path):
    out = tmp_path / "priors.toml"
    done = subprocess.run([sys.executable, str(SCRIPT), "--data", str(tmp_path / "absent"), "--out", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no such folder" in done.stderr and not out.exists()


@pytest.mark.skipif(not BENCH_DATA.is_dir(), reason="CodeRouterBench data is not on this machine")
def test_script_regenerates_the_committed_file(tmp_path: Path):
    out = tmp_path / "priors.toml"
    done = subprocess.run([sys.executable, str(SCRIPT), "--data", str(BENCH_DATA), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == DEFAULT_PRIORS_FILE.read_bytes(), "router/default_priors.toml is stale: regenerate"
