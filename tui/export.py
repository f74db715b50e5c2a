"""The sprint review's export: each table as shown, and the range's events, written atomically, times in UTC."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from tui.errors import ServiceError

EXPORT_TABLES = ("by_model", "by_dimension", "by_project", "usage", "always", "expensive")


def utc_aware(frame: pl.DataFrame) -> pl.DataFrame:
    """Naive UTC timestamps (as the store keeps them) marked UTC, so a spreadsheet or pandas reads them right."""
    naive = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime) and dtype.time_zone is None]
    return frame.with_columns(pl.col(naive).dt.replace_time_zone("UTC")) if naive else frame


def write_export(frame: pl.DataFrame, target: Path, fmt: str) -> Path:
    """Write to a temp file beside ``target`` and rename, so a failed export leaves nothing half-written."""
    if fmt not in ("csv", "parquet"):
        raise ServiceError(f"export format {fmt!r}: csv or parquet")
    target = target.expanduser()
    if target.suffix != f".{fmt}":
        target = target.with_name(target.name + f".{fmt}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as tmp:
            tmp_path = Path(tmp.name)
        nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
        flat = frame.with_columns(pl.col(nested).map_elements(str, return_dtype=pl.String)) if nested else frame
        (flat.write_csv if fmt == "csv" else frame.write_parquet)(tmp_path)
        tmp_path.replace(target)
    except OSError as exc:
        raise ServiceError(f"cannot export to {target}: {exc.strerror or exc}") from None
    return target
