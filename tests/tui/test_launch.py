"""Compose → override → launch on the real router and launcher, against tests/fake_codex/codex."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_app import RecordingApp, table_text
from textual.widgets import DataTable, Input, Log, Select
from tui_support import wait_for_workers

from tui.live_services import LiveServices
from tui.session import SessionPaths

FAKE_CODEX = Path(__file__).resolve().parents[1] / "fake_codex" / "codex"


@pytest.fixture
def launch_services(log_copy: Path, tmp_path: Path, embedder) -> LiveServices:
    work = tmp_path / "work"
    work.mkdir()
    services = LiveServices(SessionPaths(logs=[log_copy], db=tmp_path / "routing.duckdb", write_log=log_copy),
                        embedder=embedder)
    services.cwd = work
    return services


async def compose(pilot, task: str) -> object:
    await pilot.press("f4")
    composer = pilot.app.screen
    composer.query_one("#task", Input).value = task
    composer.query_one("#task", Input).focus()
    await pilot.press("enter")
    await wait_for_workers(pilot)
    return composer


def events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


async def test_override_launch_against_fake_codex(launch_services: LiveServices, log_copy: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_BIN", str(FAKE_CODEX))
    app = RecordingApp(launch_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_workers(pilot)
        composer = await compose(pilot, "write a python function that parses ISO dates, with tests")
        decision = composer.decision
        assert decision is not None and decision.candidates
        assert decision.chosen in table_text(composer.query_one("#candidates", DataTable))
        other = next(c.model for c in decision.candidates if c.model != decision.chosen)
        composer.query_one("#override", Select).value = other
        await pilot.press("ctrl+l")
        await wait_for_workers(pilot)
        progress = "\n".join(composer.query_one("#progress", Log).lines)
        assert "override" in progress and "done:" in progress
        written = [e for e in events(log_copy) if e.get("task_id", "").startswith("r-")]
        kinds = [e["event"] for e in written]
        assert kinds[:2] == ["override", "route"] and kinds[-1] == "outcome"
        assert written[0]["model"] == other and written[1]["router"] == "manual"
        await pilot.press("f5")
        await wait_for_workers(pilot)
        feed = app.dashboard.query_one("#feed", DataTable)
        assert feed.current()["task_id"] == written[-1]["task_id"]  # newest first
        assert written[1]["task"] in table_text(feed)  # the outcome row shows its route's task, not its id


async def test_launch_without_codex_is_a_clear_message(launch_services: LiveServices, log_copy: Path,
                                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CODEX_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    app = RecordingApp(launch_services, watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        composer = await compose(pilot, "fix the failing invoice test")
        await pilot.press("ctrl+l")
        await wait_for_workers(pilot)
        progress = "\n".join(composer.query_one("#progress", Log).lines)
        assert "codex_missing" in progress and "CODEX_BIN" in progress
        assert composer.running is False
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert not app.dashboard.query_one("#banner").display
        # a launch that never ran is a failed start, not a run: runs and the window stay as they were
        await pilot.press("f5")
        await wait_for_workers(pilot)
        totals = str(app.dashboard.query_one("#totals").render())
        assert "Runs     24 (+1 failed starts)" in totals
        assert "2026-11-12 16:40" in totals  # the window still ends at the last real run
