"""The routing log's route/override/outcome events, read through the shared ingestion and DuckDB cache.

Why its own module: what-if, the memory rebuild (``router.state``) and the dashboard all read the logged
history the same way; none of them should know how the cache is opened or kept up to date.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from analytics import event_queries
from analytics.ingest import LogIngester
from analytics.malformed import malformed_lines
from analytics.store import Store
from router.logged_routes import decode_events

_KINDS = ("route", "override", "outcome")


def load_events(paths: Sequence[str | Path], db_path: str | Path | None = None
                ) -> tuple[list[dict[str, Any]], pl.DataFrame]:
    """Route/override/outcome events of ``paths`` through the shared ingestion, and their malformed lines
    (``analytics.malformed.malformed_lines`` rows: file, line, error, text).

    The DuckDB cache at ``db_path`` is brought up to date first (a damaged cache is rebuilt; when the
    dashboard holds it, an in-memory store is used: the logs are the truth, the cache only saves re-reading).
    An outcome logged without a cost gets the one the store derives from its tokens and prices.
    """
    store, _ = Store.open_for_logs(db_path)
    with store:
        ingester = LogIngester(store, paths)
        ingester.poll()
        frame = event_queries.range_events(store).filter(pl.col("file").is_in(ingester.paths)
                                                   & pl.col("event").is_in(_KINDS))
        malformed = malformed_lines(store).filter(pl.col("file").is_in(ingester.paths))
    return list(decode_events(frame)), malformed
