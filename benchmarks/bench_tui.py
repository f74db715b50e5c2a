"""Dashboard speed: time to first paint with 1,000,000 events already ingested, and append-to-panel latency.

Builds (once, cached under --work) a routing log of N events from the sample log's shapes, ingests it into a
DuckDB file, then starts the real app headless on that DB and log (clock started before importing the app):
  first_paint_s   → the main screen's first frame (panels drawn, data loading in workers);
  first_data_s    → the frame after the feed and the aggregate panels hold the ingested data;
  live_update_ms  one `append_event` → the live feed shows that event (watchdog → ingest → query → panel),
                  measured in steady state (after the start-up regret query has finished).
Prints one JSON line. Targets: first_paint_s < 1.5, live_update_ms < 500.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def build_log(path: Path, events: int) -> None:
    """N events: route/outcome pairs cycling through the sample log's routed tasks, one minute apart."""
    samples = [json.loads(line) for line in (ROOT / "sample_logs" / "routing_log.jsonl").read_text().splitlines()
               if '"event":"route"' in line or '"event":"outcome"' in line]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(events):
            record = dict(samples[i % len(samples)])
            record["task_id"] = f"b-{i // 2:07d}"
            record["ts"] = (start + timedelta(seconds=30 * i)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")


def prepare(work: Path, events: int) -> tuple[Path, Path]:
    from analytics.ingest import LogIngester
    from analytics.store import Store

    log, db = work / f"routing_log_{events}.jsonl", work / f"routing_{events}.duckdb"
    if not log.exists():
        db.unlink(missing_ok=True)
        build_log(log, events)
    store, _rebuilt = Store.open_or_rebuild(db)  # an older store version is rebuilt here, not in the timing
    with store:
        LogIngester(store, [log]).poll()
    return log, db


async def measure(log: Path, db: Path) -> dict[str, float]:
    started = time.perf_counter()
    from analytics.logwriter import append_event
    from tui.app import CodexRouterApp
    from tui.messages import DashboardRefreshed, FeedRefreshed
    from tui.services import Services, SessionPaths

    live_id = f"bench-live-{uuid.uuid4().hex[:8]}"
    framed, painted, updated = asyncio.Event(), asyncio.Event(), asyncio.Event()
    first_frame: list[float] = []

    class BenchApp(CodexRouterApp):
        def on_mount(self) -> None:
            self.call_after_refresh(lambda: (first_frame.append(time.perf_counter() - started), framed.set()))

        def on_dashboard_refreshed(self, message: DashboardRefreshed) -> None:
            if self.last_feed is not None:
                self.call_after_refresh(painted.set)

        def on_feed_refreshed(self, message: FeedRefreshed) -> None:
            feed = message.data.recent
            if feed.height and feed["task_id"][0] == live_id:
                self.call_after_refresh(updated.set)

    session = SessionPaths(logs=[log], db=db, write_log=log)
    app = BenchApp(Services(session), load_embedder=False)
    async with app.run_test(size=(160, 45)):
        await asyncio.wait_for(framed.wait(), 120)
        await asyncio.wait_for(painted.wait(), 120)
        first_data = time.perf_counter() - started
        await app.workers.wait_for_complete()  # steady state: the regret query is not running
        appended = time.perf_counter()
        append_event(log, {"event": "route", "task_id": live_id, "task": "bench", "model": "gpt-5.4",
                           "router": "acrouter"})
        await asyncio.wait_for(updated.wait(), 60)
        live = (time.perf_counter() - appended) * 1000
    return {"first_paint_s": round(first_frame[0], 3), "first_data_s": round(first_data, 3),
            "live_update_ms": round(live, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events already ingested (default 1e6)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "codex-router-bench-tui",
                        help="folder for the generated log and DB (reused between runs)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    log, db = prepare(args.work, args.events)
    result = asyncio.run(measure(log, db))
    print(json.dumps({"bench": "tui", "events": args.events, **result,
                      "targets": {"first_paint_s": 1.5, "live_update_ms": 500}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
