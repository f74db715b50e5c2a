"""RouterState: first start, save/load round trip, clear TOML errors, last good state kept, reset."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.paths import config_dir, data_dir
from router.prior_records import to_records
from router.priors import Priors
from router.settings import RouterSettings
from router.state import DEFAULT_MODELS, RouterState, StateError

DIM = (("dimension", "code_generation"),)


def test_first_start_has_defaults():
    state = RouterState.load()
    assert state.models == list(DEFAULT_MODELS) and len(state.models) == 8
    assert state.settings == RouterSettings() and len(state.memory) == 0
    decision = state.router().decide(_features())
    assert decision.chosen in DEFAULT_MODELS


def _features(embedding=None):
    from types import SimpleNamespace

    return SimpleNamespace(text="t", dimension="code_generation", dimension_confidence=1.0, language=None,
                           language_confidence=0.0, difficulty=None, difficulty_confidence=0.0,
                           embedding=embedding, metadata={})


def test_round_trip_through_config_and_data_dirs():
    state = RouterState(RouterSettings(eps_cost=-0.4, k=3),
                        Priors.from_rows([{"dimension": "code_generation", "model": "a", "score": 1.0,
                                           "cost_usd": 0.01}, {"dimension": "code_generation", "model": "b",
                                                               "score": 0.0, "cost_usd": 0.02}]))
    assert state.models == ["a", "b"]
    state.router().update(_features(np.array([1.0, 0.0], np.float32)), "b", 1.0, 0.03, task_id="t1")
    state.priors.edit(DIM, "a", score=0.4, pin=True)
    path = state.save()
    assert path == config_dir() / "router.toml" and (data_dir() / "memory.npz").exists()
    assert path.stat().st_mode & 0o777 == 0o600
    again = RouterState.load()
    assert again.settings == state.settings and again.models == ["a", "b"]
    assert to_records(again.priors) == to_records(state.priors)
    assert [e.task_id for e in again.memory.entries()] == ["t1"]
    assert again.reset_priors() == 1 and again.priors.estimate(DIM, ["a"])["a"].score > 0.9
    again.settings = again.settings.replace(memory_size=5)  # a FIFO size edit applies to the live router
    assert again.router().memory.capacity == 5 and len(again.router().memory) == 1


def test_invalid_toml_names_file_and_line_and_keeps_last_good_state():
    state = RouterState(RouterSettings(k=4))
    state.save()
    path = config_dir() / "router.toml"
    path.write_text("[settings]\nk = 4\n\n[priors\nmodel = 1\n", encoding="utf-8")
    with pytest.raises(StateError) as caught:
        RouterState.load()
    assert str(path) in str(caught.value) and "line 4" in str(caught.value)
    assert state.settings.k == 4
    path.write_text("[settings]\nk = 0\n", encoding="utf-8")
    with pytest.raises(StateError, match=r"router.toml \[settings\].*'k'"):
        RouterState.load()
    path.write_text('[[priors]]\nmodel = "a"\nn = 2\nscore = "high"\n', encoding="utf-8")
    with pytest.raises(StateError, match=r"priors\[0\]\.score"):
        RouterState.load()


def test_rebuild_from_log_events():
    events = [{"event": "route", "task_id": "t", "task": "write a parser", "dimension": "code_generation"},
              {"event": "outcome", "task_id": "t", "model": "glm-5", "score": 1.0, "cost_usd": 0.001}]
    state = RouterState()
    state.rebuild_from_events(events, lambda texts: np.ones((len(texts), 4), np.float32))
    assert state.priors.cell(DIM, "glm-5").n == 1 and len(state.memory) == 1
    assert "glm-5" in state.router().models


def test_a_launch_saves_what_was_learned_but_not_unsaved_edits():
    rows = [{"dimension": "code_generation", "model": m, "score": s, "cost_usd": 0.01}
            for m, s in (("a", 1.0), ("b", 0.0))]
    state = RouterState(RouterSettings(eps_cost=-0.2), Priors.from_rows(rows))
    state.priors.edit(DIM, "b", score=0.3, pin=True)
    state.save()
    assert not state.dirty
    state.settings = state.settings.replace(eps_cost=-0.9)  # edited in the Router tab, not saved
    assert state.dirty and not state.priors_edited
    state.priors.edit(DIM, "a", score=0.2, pin=True)
    assert state.dirty and state.priors_edited
    state.router().update(_features(np.array([0.0, 1.0], np.float32)), "a", 0.0, 0.02, task_id="t9")
    state.save_learned()
    on_disk = RouterState.load(state.config_dir, state.data_dir)
    assert on_disk.settings.eps_cost == -0.2
    assert on_disk.priors.cells[DIM]["a"].n == 2 and on_disk.priors.cells[DIM]["a"].user_score is None
    assert on_disk.priors.cells[DIM]["b"].user_score == 0.3 and on_disk.priors.cells[DIM]["b"].pinned
    assert len(on_disk.memory) == 1
    assert state.dirty and state.settings.eps_cost == -0.9  # the edits stay, still unsaved
    state.save()
    assert not state.dirty and RouterState.load(state.config_dir, state.data_dir).settings.eps_cost == -0.9
    assert not state.priors_edited


def test_save_learned_drops_an_unpinned_edit_the_router_has_learned_past():
    rows = [{"dimension": "code_generation", "model": "a", "score": 1.0, "cost_usd": 0.01}]
    state = RouterState(RouterSettings(), Priors.from_rows(rows))
    state.priors.edit(DIM, "a", score=0.5)
    state.save()
    state.router().update(_features(), "a", 1.0, 0.01, task_id="t1")
    state.save_learned()
    assert RouterState.load(state.config_dir, state.data_dir).priors.cells[DIM]["a"].user_score is None


def test_saved_priors_carry_the_saved_edits_over_the_live_counts():
    rows = [{"dimension": "code_generation", "model": m, "score": s, "cost_usd": 0.01}
            for m, s in (("a", 1.0), ("b", 0.0))]
    state = RouterState(RouterSettings(), Priors.from_rows(rows))
    state.priors.edit(DIM, "b", score=0.3, pin=True)
    state.save()
    state.priors.edit(DIM, "a", score=0.2)
    state.priors.observe(DIM, "b", 1.0, 0.01)
    saved = state.saved_priors()
    assert saved.user_values() == {(DIM, "b"): (0.3, None, True)}
    assert saved.cells[DIM]["b"].n == state.priors.cells[DIM]["b"].n == 2
    assert state.priors.cells[DIM]["a"].user_score == 0.2  # the live table keeps its edit
