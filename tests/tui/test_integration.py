"""The same flows on the real LiveServices (analytics Store/LogIngester/queries, router what-if, launcher)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from test_app import RecordingApp, table_text
from textual.widgets import DataTable, Static
from tui_support import FIXED_NOW, wait_for_workers

from analytics.logwriter import append_event
from router.embedding import shared_embedder
from tui.config import TuiConfig
from tui.live_services import LiveServices
from tui.session import SessionPaths

SAMPLE_LOG = Path(__file__).resolve().parents[2] / "sample_logs" / "routing_log.jsonl"  # committed


@pytest.fixture
def real_services(log_copy: Path, tmp_path: Path) -> LiveServices:
    session = SessionPaths(logs=[log_copy], db=tmp_path / "db" / "routing.duckdb", write_log=log_copy)
    return LiveServices(session, clock=lambda: FIXED_NOW, embedder=shared_embedder())  # in-process, loaded on use


async def test_real_dashboard_and_live_append(real_services: LiveServices, log_copy: Path) -> None:
    app = RecordingApp(real_services, config=TuiConfig(poll=0.2), load_embedder=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_workers(pilot)
        totals = str(app.dashboard.query_one("#totals", Static).render())
        assert "24" in totals and "tasks, estimated" in totals
        assert "★" in table_text(app.dashboard.query_one("#winrates", DataTable))
        append_event(log_copy, {"event": "outcome", "task_id": "t-live", "model": "gpt-5.4", "score": 1.0,
                                "dimension": "agentic", "cost_usd": 0.5, "status": "ok",
                                "ts": "2026-11-12T17:00:00.000Z"})
        for _ in range(150):
            if any(m.data.new_events for m in app.feeds[1:]):
                break
            await pilot.pause(0.02)
        await wait_for_workers(pilot)
        assert [m.data.new_events for m in app.feeds if m.data.new_events][-1] == 1
        feed = app.dashboard.query_one("#feed", DataTable)
        assert "t-live" in " ".join(str(c) for c in feed.get_row_at(0))
        assert "25" in str(app.dashboard.query_one("#totals", Static).render())


def test_real_sprint_and_export(real_services: LiveServices, tmp_path: Path) -> None:
    data = real_services.sprint("custom", "2026-11-12", "20261112")
    assert data.totals.runs == 8 and (data.label, data.since, data.until) == ("Custom", "2026-11-12", "2026-11-12")
    assert set(data.by_model["model"]) == {"gpt-5.4", "claude-sonnet-4-6", "qwen3.5-plus"}
    always = data.always
    assert always.height == 3 and always["model"].str.starts_with("Always-").all()
    written = real_services.export(data, tmp_path / "x", "parquet")
    names = sorted(p.name for p in written)
    assert names == sorted(f"review-2026-11-12-to-2026-11-12-{t}.parquet"
                           for t in ("by_model", "by_dimension", "by_project", "usage", "always", "expensive",
                                     "events"))
    events = pl.read_parquet(tmp_path / "x" / "review-2026-11-12-to-2026-11-12-events.parquet")
    assert events.filter(pl.col("event") == "outcome").height == 8
    assert events.schema["ts"].time_zone == "UTC"  # time-zone-aware
    by_model = pl.read_parquet(tmp_path / "x" / "review-2026-11-12-to-2026-11-12-by_model.parquet")
    assert by_model.columns == data.by_model.columns  # the table as the review shows it
    csv = real_services.export(data, tmp_path / "c", "csv")
    assert pl.read_csv(csv[-1]).height == 16 and pl.read_csv(csv[-1])["ts"][0].endswith("+0000")
    assert not list((tmp_path / "x").glob(".*"))  # no temp file left behind
    real_services.close()


def test_real_whatif_of_a_settings_edit_has_support_on_the_sample_log(tmp_path: Path, embedder) -> None:
    """Unedited, today's setting is estimated (not refused as thin); a settings edit is estimated beside it."""
    log = tmp_path / "routing_log.jsonl"
    shutil.copy(SAMPLE_LOG, log)
    services = LiveServices(SessionPaths(logs=[log], db=tmp_path / "routing.duckdb", write_log=log),
                        clock=lambda: FIXED_NOW, embedder=embedder)
    services.open()
    unedited = {row.metric: row for row in services.whatif().rows}
    assert unedited["avg_perf"].saved.value is not None and unedited["avg_perf"].edited["dr"] == unedited["avg_perf"].saved
    services.set_setting("eps_cost", "-0.5")
    edited = {row.metric: row for row in services.whatif().rows}
    assert edited["avg_perf"].saved == unedited["avg_perf"].saved
    cost = edited["total_cost"]
    assert set(cost.edited) == {"ips", "snips", "dr"} and cost.edited["dr"].low <= cost.edited["dr"].value
    assert cost.edited["dr"].value < cost.saved.value
    services.close()


async def test_locked_db_is_a_banner(real_services: LiveServices) -> None:
    db = real_services.session.db
    db.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        app = RecordingApp(real_services, watch=False, load_embedder=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for_workers(pilot)
            banner = app.dashboard.query_one("#banner", Static)
            assert banner.display and "locked" in str(banner.render())
            assert not app.feeds and not app.refreshed
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


async def test_router_learns_outcomes_appended_to_the_followed_log(real_services: LiveServices, log_copy: Path) -> None:
    """Outcomes a hook or another process appends reach the router's priors (and the router screen says so)."""
    app = RecordingApp(real_services, watch=False, load_embedder=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("f3")
        await wait_for_workers(pilot)

        def cell(dimension: str, model: str):
            return next(c for c in app.screen.view.cells if (c.dimension, c.model) == (dimension, model))

        before = cell("bug_fixing", "gpt-5.4").count
        for i in range(3):
            append_event(log_copy, {"event": "route", "task_id": f"t-new-{i}", "task": f"new task {i}",
                                    "dimension": "bug_fixing", "model": "gpt-5.4", "router": "acrouter",
                                    "ts": "2026-11-12T17:00:00.000Z"})
            append_event(log_copy, {"event": "outcome", "task_id": f"t-new-{i}", "model": "gpt-5.4", "score": 1.0,
                                    "dimension": "bug_fixing", "cost_usd": 0.01, "status": "ok",
                                    "ts": "2026-11-12T17:05:00.000Z"})
        await pilot.press("f5")
        await wait_for_workers(pilot)
        assert cell("bug_fixing", "gpt-5.4").count == before + 3
        note = str(app.screen.query_one("#router-note", Static).render())
        assert "Priors from CodeRouterBench's probing split" in note and "+ 24 outcomes in the followed logs" in note
        assert "+3 outcomes appended to the followed logs learned since start" in note
        await pilot.press("f5")  # nothing new: nothing is learned twice
        await wait_for_workers(pilot)
        assert cell("bug_fixing", "gpt-5.4").count == before + 3


async def test_cold_start_says_there_is_no_evidence(tmp_path: Path, embedder, monkeypatch) -> None:
    """No priors, no outcomes: the router screen and the decision say so instead of showing fallback figures."""
    import router.state
    from router.priors import Priors

    monkeypatch.setattr(router.state, "default_priors", lambda strength=10.0: Priors(strength))  # none shipped
    log = tmp_path / "routing_log.jsonl"
    log.touch()
    services = LiveServices(SessionPaths(logs=[log], db=tmp_path / "routing.duckdb", write_log=log),
                        clock=lambda: FIXED_NOW, embedder=embedder)
    app = RecordingApp(services, watch=False, load_embedder=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await wait_for_workers(pilot)
        assert "No evidence yet" in str(app.screen.query_one("#router-note", Static).render())
        await pilot.press("f4")
        await pilot.press(*"fix the flaky invoice test")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        composer = app.screen
        assert composer.decision.basis == "no_evidence"
        summary = str(composer.query_one("#decision-summary", Static).render())
        assert "No clear winner: no evidence for any model yet" in summary and "no priors loaded" in summary
        assert "no data" in table_text(composer.query_one("#candidates", DataTable))


async def test_router_memory_is_built_once_the_model_is_loaded(real_services: LiveServices, embedder) -> None:
    """The priors show without the embedding model; the log's tasks enter the memory as soon as it is loaded."""
    app = RecordingApp(real_services, watch=False, load_embedder=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.embedder_state = "ready"  # loaded before the router screen was first opened
        await pilot.press("f3")
        await wait_for_workers(pilot)
        await wait_for_workers(pilot)
        note = str(app.screen.query_one("#router-note", Static).render())
        assert "memory: 24 past tasks" in note and "waits" not in note


def test_demo_keeps_the_router_state_in_its_temp_folder(monkeypatch) -> None:
    """A demo's router.toml and memory go to its scratch folder through SessionPaths, not through os.environ."""
    import os

    from tui.session import resolve_paths

    before = dict(os.environ)
    session = resolve_paths(None, None, None, demo=True)
    services = LiveServices(session, embedder=shared_embedder())
    try:
        state = services.router.state()
        assert session.scratch is not None
        assert state.config_dir == session.scratch / "config" and state.data_dir == session.scratch / "data"
        assert state.save().is_relative_to(session.scratch)
        assert dict(os.environ) == before
    finally:
        services.close()
    assert not session.scratch.exists()


def test_demo_caches_the_classifier_vectors_in_its_temp_folder(tmp_path: Path, embedder, monkeypatch) -> None:
    """A demo decision's classifier caches its prototypes' vectors in the demo's folder, not the user's data dir."""
    import weakref

    from analytics.paths import data_dir
    from router import dimension_classifier
    from tui.session import resolve_paths

    monkeypatch.setattr(dimension_classifier, "_PROTOTYPE_CACHE", weakref.WeakKeyDictionary())  # not in memory yet
    session = resolve_paths(None, None, None, demo=True)
    services = LiveServices(session, clock=lambda: FIXED_NOW, embedder=embedder)
    try:
        assert services.router.decide("fix the failing unit test in the parser", tmp_path).chosen
        assert session.scratch is not None
        assert list((session.scratch / "data" / "embeddings").glob("*.npy"))
        assert not (data_dir() / "embeddings").exists()
    finally:
        services.close()


def test_demo_records_its_cache_in_its_temp_folder() -> None:
    """The demo's DuckDB file is noted among the caches we created in the demo's folder, not in the user's list."""
    import json

    from analytics.paths import data_dir
    from tui.session import resolve_paths

    session = resolve_paths(None, None, None, demo=True)
    services = LiveServices(session, clock=lambda: FIXED_NOW)
    try:
        services.open()
        assert session.scratch is not None
        recorded = json.loads((session.scratch / "data" / "caches.json").read_text(encoding="utf-8"))
        assert str(session.db.absolute()) in recorded
        users = data_dir() / "caches.json"
        assert not users.exists() or str(session.db.absolute()) not in users.read_text(encoding="utf-8")
    finally:
        services.close()
        shutil.rmtree(session.scratch, ignore_errors=True)
