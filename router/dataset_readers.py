"""Reading benchmark files with errors that name the file and line, and the checks both dataset formats share.

Why its own module: the generic format and CodeRouterBench (``router.datasets``) and the CodeRouterBench
costs (``router.coderouterbench_costs``) read JSONL and CSV the same way and need every routed task to have
every model's result; bad input fails here, early, before any routing starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from analytics.errors import CodexRouterError


class DatasetError(CodexRouterError, ValueError):
    """Input the bench cannot use; the message names the file and, when there is one, the line."""


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise DatasetError(f"{path}: missing")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise DatasetError(f"{path}:{line_no}: not valid JSON ({exc})") from exc
            if not isinstance(obj, dict):
                raise DatasetError(f"{path}:{line_no}: expected a JSON object")
            rows.append((line_no, obj))
    return rows


def read_csv(path: Path, needed: tuple[str, ...], score_column: str = "score") -> pl.DataFrame:
    if not path.is_file():
        raise DatasetError(f"{path}: missing")
    try:
        frame = pl.read_csv(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DatasetError(f"{path}: cannot read CSV: {exc}") from exc
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = frame.with_row_index("_line", offset=2)
    check_scores(frame, score_column, score_column, path)
    return frame


def check_scores(frame: pl.DataFrame, shown: str, column: str, path: Path) -> None:
    values = frame[column].cast(pl.Float64, strict=False)
    bad = frame.filter(values.is_null() | values.is_nan() | (values < 0) | (values > 1))
    if bad.height:
        row = bad.row(0, named=True)
        raise DatasetError(f"{path}:{row['_line']}: {shown} {row[shown]!r} is not a number in [0, 1]")


def require_complete(results: pl.DataFrame, task_ids: list[str], models: list[str], results_file: Path,
                      tasks_file: Path, line_of: dict[str, int]) -> None:
    """Every routed task needs every model's result: regret and the oracle are undefined otherwise."""
    if not task_ids:
        return
    have = results.select("task_id", "model").unique()
    grid = pl.DataFrame({"task_id": task_ids}).join(pl.DataFrame({"model": models}), how="cross")
    missing = grid.join(have, on=["task_id", "model"], how="anti", maintain_order="left")
    if missing.height:
        task_id, model = missing.row(0)
        raise DatasetError(f"{results_file}: no result for model {model!r} on task {task_id!r} "
                           f"({tasks_file.name} line {line_of.get(task_id, '?')}); "
                           f"{missing.height} task x model result(s) missing in all")
    foreign = results.filter(~pl.col("model").is_in(models))
    if foreign.height:
        row = foreign.row(0, named=True)
        raise DatasetError(f"{results_file}:{row['_line']}: model {row['model']!r} is not in the model set "
                           f"({', '.join(models)})")


def results_frame(frame: pl.DataFrame, *, estimated: bool) -> pl.DataFrame:
    return frame.select(
        pl.col("task_id").cast(pl.String), pl.col("model").cast(pl.String), pl.col("score").cast(pl.Float64),
        pl.col("cost_usd").cast(pl.Float64), pl.lit(estimated).alias("cost_estimated"),
    )
