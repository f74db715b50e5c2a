"""Router state faults: router.toml that is not TOML (refused naming file and line, the running state kept),
a save killed half-way (old file or new, never a mix), a memory file corrupted (named; rebuilt from the
routing log's outcomes)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import tomllib

import numpy as np
import pytest
from reliability_helpers import REPO

from router.prior_records import to_records
from router.settings import RouterSettings
from router.state import RouterState, StateError


def _encode(texts):
    """A stand-in embedder: one direction per text length bucket (no model download)."""
    out = np.zeros((len(texts), 16), dtype=np.float32)
    for row, text in enumerate(texts):
        out[row, len(text) % 16] = 1.0
    return out


def _state(tmp_path, **settings) -> RouterState:
    return RouterState(RouterSettings(**settings), models=["gpt-5.4", "glm-5"], config_dir=tmp_path / "config",
                       data_dir=tmp_path / "data")


def test_invalid_toml_is_refused_with_file_and_line_and_the_running_state_is_kept(tmp_path):
    state = _state(tmp_path, eps_cost=-0.3)
    path = state.save()
    running = RouterState.load(state.config_dir, state.data_dir)
    assert running.settings.eps_cost == -0.3
    text = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(text) if line.startswith("[settings]"))
    text[at] = "[settings"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(StateError) as caught:
        RouterState.load(state.config_dir, state.data_dir)
    assert str(path) in str(caught.value) and f"line {at + 1}" in str(caught.value)
    assert running.router().settings.eps_cost == -0.3  # a running process keeps the state it loaded
    assert path.read_text(encoding="utf-8").splitlines()[at] == "[settings"  # the user's file is not clobbered


@pytest.mark.parametrize("content", ["models = 3\n", "[settings]\nk = 'ten'\n", "[settings]\nbogus = 1\n",
                                     "\x00\x01binary", "priors = 'x'\n"])
def test_wrong_values_are_refused_naming_the_file(tmp_path, content):
    config = tmp_path / "config"
    config.mkdir()
    (config / "router.toml").write_bytes(content.encode())
    with pytest.raises(StateError) as caught:
        RouterState.load(config, tmp_path / "data")
    assert str(config / "router.toml") in str(caught.value)


@pytest.mark.slow
def test_save_killed_half_way_leaves_old_or_new(tmp_path):
    config, data = tmp_path / "config", tmp_path / "data"
    rng = random.Random(11)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            from pathlib import Path
            from router.priors import Priors
            from router.settings import RouterSettings
            from router.state import RouterState
            rows = [{{"dimension": f"d{{i % 10}}", "model": f"m{{i % 7}}", "score": 0.5, "cost_usd": 0.01}}
                    for i in range(3000)]
            states = [RouterState(RouterSettings(eps_cost=eps), Priors.from_rows(rows), models=["a", "b"],
                                  config_dir=Path({str(config)!r}), data_dir=Path({str(data)!r}))
                      for eps in (-0.1, -0.2)]
            states[0].save()
            print("ready", flush=True)
            while True:
                for state in states:
                    state.save()
            """)], cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        saved = tomllib.loads((config / "router.toml").read_text(encoding="utf-8"))  # parses: never half a file
        assert saved["settings"]["eps_cost"] in (-0.1, -0.2)
        loaded = RouterState.load(config, data)
        assert loaded.settings.eps_cost in (-0.1, -0.2)
    assert oct((config / "router.toml").stat().st_mode & 0o777) == oct(0o600)


def test_corrupt_memory_is_named_and_rebuilt_from_the_log(tmp_path):
    state = _state(tmp_path)
    events = []
    for i in range(6):
        task = "fix the parser " + "x" * i
        events.append({"event": "route", "task_id": f"t{i}", "task": task, "dimension": "bug_fixing",
                       "model": "glm-5"})
        events.append({"event": "outcome", "task_id": f"t{i}", "task": task, "model": "glm-5",
                       "score": 1.0, "cost_usd": 0.003})
    state.rebuild_from_events(events, _encode)
    state.save()
    assert len(RouterState.load(state.config_dir, state.data_dir).memory) == 6
    state.memory_path.write_bytes(state.memory_path.read_bytes()[:200])
    with pytest.raises(StateError) as caught:
        RouterState.load(state.config_dir, state.data_dir)
    assert str(state.memory_path) in str(caught.value) and "rebuild" in str(caught.value)
    fresh = _state(tmp_path)
    fresh.rebuild_from_events(events, _encode)
    assert [e.task_id for e in fresh.memory.entries()] == [f"t{i}" for i in range(6)]
    fresh.save()
    assert len(RouterState.load(state.config_dir, state.data_dir).memory) == 6
    assert json.loads(json.dumps(to_records(fresh.priors)))  # priors came back from the same outcomes


def _cells_state(tmp_path, cells: int) -> RouterState:
    from router.priors import Priors

    rows = [{"dimension": f"d{i // 5}", "language": f"l{i % 5}", "model": "gpt-5.4", "score": 0.5,
             "cost_usd": 0.01} for i in range(cells)]
    priors = Priors.from_rows(rows)
    state = RouterState(priors=priors, models=["gpt-5.4"], config_dir=tmp_path / "config",
                        data_dir=tmp_path / "data")
    return state


def test_a_router_toml_cut_at_a_record_boundary_is_refused_not_written_back(tmp_path):
    """The red team's case: 85 cells, the file cut after 41 [[priors]] tables still parses as TOML."""
    state = _cells_state(tmp_path, 85)
    path = state.save()
    written = len(tomllib.loads(path.read_text(encoding="utf-8"))["priors"])
    text = path.read_text(encoding="utf-8")
    starts = [i for i in range(len(text)) if text.startswith("[[priors]]", i)]
    cut = text[:starts[41]]
    path.write_text(cut, encoding="utf-8")
    assert len(tomllib.loads(cut)["priors"]) == 41  # valid TOML: only the count can tell
    with pytest.raises(StateError, match=rf"{path}: holds 41 \[\[priors\]\] cells but was written with {written}"):
        RouterState.load(tmp_path / "config", tmp_path / "data")
    assert path.read_text(encoding="utf-8") == cut  # nothing written over it


def test_every_overwrite_keeps_the_previous_file_as_a_backup(tmp_path):
    state = _cells_state(tmp_path, 10)
    path = state.save()
    first = path.read_bytes()
    state.settings = RouterSettings(eps_cost=-0.4)
    state.save()
    backup = path.with_name("router.toml.bak")
    assert backup.read_bytes() == first and path.read_bytes() != first
    assert os.stat(backup).st_mode & 0o777 == 0o600


def test_a_damaged_file_never_replaces_the_good_backup(tmp_path):
    """A running dashboard saving over a file someone cut keeps the last good backup."""
    state = _cells_state(tmp_path, 10)
    path = state.save()
    state.save()
    good = path.with_name("router.toml.bak").read_bytes()
    path.write_text(path.read_text(encoding="utf-8").rsplit("[[priors]]", 3)[0], encoding="utf-8")
    damaged = path.read_bytes()
    state.save()
    assert path.with_name("router.toml.bak").read_bytes() == good
    assert path.with_name("router.toml.damaged").read_bytes() == damaged
    loaded = RouterState.load(tmp_path / "config", tmp_path / "data")
    assert len(to_records(loaded.priors, None)) == len(to_records(state.priors, None))


def test_a_file_without_the_count_still_loads(tmp_path):
    """router.toml written before the count existed: loaded as it is (the next save adds the count)."""
    state = _cells_state(tmp_path, 5)
    path = state.save()
    path.write_text("\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                              if not line.startswith("prior_cells")), encoding="utf-8")
    loaded = RouterState.load(tmp_path / "config", tmp_path / "data")
    assert len(to_records(loaded.priors, None)) == len(to_records(state.priors, None))
