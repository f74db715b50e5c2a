"""Benchmark datasets for router replays: CodeRouterBench and the generic ``tasks.jsonl`` + ``results.csv`` format.

Both loaders produce the same :class:`BenchDataset` (a probing set with every model's result, plus the test
tasks in routing order and their full results table), so the harness and every policy never see file layouts.
Bad input fails early with :class:`DatasetError` naming the file and line, before any routing starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from router.coderouterbench_costs import price_probing, read_prices
from router.dataset_readers import (
    DatasetError,
    check_scores,
    read_csv,
    read_jsonl,
    require_complete,
    results_frame,
)
from router.routing import ProbeSet, RoutingTask

GENERIC_REQUIRED = ("task_id", "model", "score", "cost_usd")
GENERIC_OPTIONAL = (
    "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "total_tokens",
    "latency_ms", "in_tok", "out_tok",
)
GENERIC_SPLITS = ("probe", "test")
CRB_SPLITS = ("id", "ood")
# Files whose presence marks a CodeRouterBench folder (the rest are checked when a split needs them).
CRB_MARKERS = ("id_tasks.jsonl", "models.json")
# Where the shared copy of CodeRouterBench sits relative to a checkout of this repository.
CRB_SUFFIX = Path("..") / "shared" / "data" / "coderouterbench"
_SOURCE_RE = re.compile(r"^dim\d+_([^_]+)_")
# OOD task keys that are text or provenance, not routing features.
_OOD_NON_FEATURES = {"task_id", "dimension", "prompt", "prompt_source"}


@dataclass
class BenchDataset:
    """A replay: priors come from ``probe``; ``test_tasks`` are routed in order, graded by ``test_results``."""

    name: str
    split: str
    path: Path
    probe: ProbeSet
    test_tasks: list[RoutingTask]
    test_results: pl.DataFrame
    notes: list[str] = field(default_factory=list)

    def without_text(self) -> BenchDataset:
        """The metadata-only variant: every task's text dropped, so a router leans on priors and online
        learning alone (as on agentic work logged without prompts)."""
        probe = ProbeSet([replace(t, text=None) for t in self.probe.tasks], self.probe.results, self.probe.models)
        return BenchDataset(f"{self.name} (metadata only)", self.split, self.path, probe,
                            [replace(t, text=None) for t in self.test_tasks], self.test_results,
                            [*self.notes, "metadata only: task text dropped"])


def default_coderouterbench() -> Path:
    """The folder a benchmark reads when given none: the shared copy if found, else where it would sit beside
    this checkout (loading it then says it is missing)."""
    return find_coderouterbench() or (Path(__file__).resolve().parents[1] / CRB_SUFFIX).resolve()


def find_coderouterbench(bases: Sequence[Path] | None = None) -> Path | None:
    """The shared CodeRouterBench copy, looked up relative to the repository, then the working directory."""
    if bases is None:
        bases = (Path(__file__).resolve().parents[1], Path.cwd())
    for base in bases:
        candidate = (base / CRB_SUFFIX).resolve()
        if candidate.is_dir():
            return candidate
    return None


def is_coderouterbench(path: Path) -> bool:
    return all((path / name).is_file() for name in CRB_MARKERS)


def load_dataset(path: Path, split: str | None = None) -> BenchDataset:
    """Load ``path`` as CodeRouterBench (``split`` id|ood, default id) or as a generic dataset directory."""
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(f"{path}: not a directory")
    if is_coderouterbench(path):
        return load_coderouterbench(path, split or "id")
    if split is not None:
        raise DatasetError(f"{path}: --split applies to CodeRouterBench only; a generic dataset uses its "
                           f"tasks.jsonl 'split' field")
    return load_generic(path)


# ----------------------------------------------------------------------------------------------------------
# generic format

def load_generic(path: Path) -> BenchDataset:
    tasks_file, results_file = path / "tasks.jsonl", path / "results.csv"
    for f in (tasks_file, results_file):
        if not f.is_file():
            raise DatasetError(f"{f}: missing (a generic dataset needs tasks.jsonl and results.csv)")
    rows = read_jsonl(tasks_file)
    tasks: dict[str, tuple[str, RoutingTask, int]] = {}
    for line, obj in rows:
        task_id = obj.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise DatasetError(f"{tasks_file}:{line}: 'task_id' must be a non-empty string")
        if task_id in tasks:
            raise DatasetError(f"{tasks_file}:{line}: duplicate task_id {task_id!r} "
                               f"(first on line {tasks[task_id][2]})")
        split = obj.get("split")
        if split not in GENERIC_SPLITS:
            raise DatasetError(f"{tasks_file}:{line}: 'split' must be one of {', '.join(GENERIC_SPLITS)}, "
                               f"got {split!r}")
        dimension = obj.get("dimension")
        prompt = obj.get("prompt")
        if dimension is not None and not isinstance(dimension, str):
            raise DatasetError(f"{tasks_file}:{line}: 'dimension' must be a string")
        if prompt is not None and not isinstance(prompt, str):
            raise DatasetError(f"{tasks_file}:{line}: 'prompt' must be a string")
        metadata = {k: v for k, v in obj.items() if k not in ("task_id", "split", "dimension", "prompt")}
        tasks[task_id] = (split, RoutingTask(task_id, dimension, prompt or None, metadata), line)

    results = _read_generic_results(results_file)
    line_of = {tid: line for tid, (_, _, line) in tasks.items()}
    unknown = results.filter(~pl.col("task_id").is_in(list(tasks)))
    if unknown.height:
        row = unknown.row(0, named=True)
        raise DatasetError(f"{results_file}:{row['_line']}: task_id {row['task_id']!r} is not in {tasks_file.name}")
    models = results["model"].unique(maintain_order=True).to_list()
    if not models:
        raise DatasetError(f"{results_file}: no result rows")
    split_of = pl.DataFrame({"task_id": list(tasks), "_split": [s for s, _, _ in tasks.values()]})
    results = results.join(split_of, on="task_id", how="left")

    probe_tasks = [t for s, t, _ in tasks.values() if s == "probe"]
    test_tasks = [t for s, t, _ in tasks.values() if s == "test"]
    if not test_tasks:
        raise DatasetError(f"{tasks_file}: no task has split 'test'")
    for split, split_tasks in (("probe", probe_tasks), ("test", test_tasks)):
        require_complete(results.filter(pl.col("_split") == split), [t.task_id for t in split_tasks], models,
                          results_file, tasks_file, line_of)
    probe_results = results_frame(results.filter(pl.col("_split") == "probe"), estimated=False)
    test_results = results_frame(results.filter(pl.col("_split") == "test"), estimated=False)
    notes = [] if probe_tasks else ["no probe tasks: routers start without priors"]
    return BenchDataset(path.name, "test", path, ProbeSet(probe_tasks, probe_results, models), test_tasks,
                        test_results, notes)


def _read_generic_results(results_file: Path) -> pl.DataFrame:
    try:
        header = pl.read_csv(results_file, n_rows=0).columns
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DatasetError(f"{results_file}: cannot read CSV: {exc}") from exc
    extra = [c for c in header if c not in GENERIC_REQUIRED and c not in GENERIC_OPTIONAL]
    if extra:
        raise DatasetError(f"{results_file}: unknown column(s) {', '.join(map(repr, extra))}; expected "
                           f"{', '.join(GENERIC_REQUIRED)} and optionally {', '.join(GENERIC_OPTIONAL)}")
    missing = [c for c in GENERIC_REQUIRED if c not in header]
    if missing:
        raise DatasetError(f"{results_file}: missing column(s) {', '.join(missing)}")
    try:
        frame = pl.read_csv(results_file, schema_overrides={"task_id": pl.String, "model": pl.String,
                                                            "score": pl.String, "cost_usd": pl.String})
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DatasetError(f"{results_file}: cannot read CSV: {exc}") from exc
    frame = frame.with_row_index("_line", offset=2)
    for column in ("task_id", "model"):
        bad = frame.filter(pl.col(column).is_null() | (pl.col(column).str.strip_chars() == ""))
        if bad.height:
            raise DatasetError(f"{results_file}:{bad['_line'][0]}: empty {column}")
    frame = frame.with_columns(
        pl.col("score").str.strip_chars().cast(pl.Float64, strict=False).alias("_score"),
        pl.col("cost_usd").str.strip_chars().cast(pl.Float64, strict=False).alias("_cost"),
    )
    check_scores(frame, "score", "_score", results_file)
    bad_cost = frame.filter(pl.col("_cost").is_null() | pl.col("_cost").is_nan() | (pl.col("_cost") < 0))
    if bad_cost.height:
        row = bad_cost.row(0, named=True)
        raise DatasetError(f"{results_file}:{row['_line']}: cost_usd {row['cost_usd']!r} is not a number >= 0")
    dupes = frame.filter(pl.struct("task_id", "model").is_duplicated())
    if dupes.height:
        row = dupes.row(1 if dupes.height > 1 else 0, named=True)
        raise DatasetError(f"{results_file}:{row['_line']}: second result for task {row['task_id']!r}, "
                           f"model {row['model']!r}")
    return frame.select("task_id", "model", pl.col("_score").alias("score"), pl.col("_cost").alias("cost_usd"),
                        "_line")


# ----------------------------------------------------------------------------------------------------------
# CodeRouterBench

def load_coderouterbench(path: Path, split: str = "id") -> BenchDataset:
    """id: probing (train + val) -> id_test. ood: the same probing set -> OOD176 (tasks carry their prompt)."""
    if split not in CRB_SPLITS:
        raise DatasetError(f"{path}: unknown split {split!r} (CodeRouterBench has {', '.join(CRB_SPLITS)})")
    prices = read_prices(path / "models.json")
    tasks_file = path / "id_tasks.jsonl"
    id_tasks = _read_id_tasks(tasks_file)
    val = read_csv(path / "id_val_results_long.csv",
                    ("task_id", "dimension", "model", "score", "cost_usd", "input_tokens", "output_tokens"))
    train = read_csv(path / "id_train_results_long.csv",
                      ("task_id", "dimension", "model", "score", "total_tokens"))
    models = val["model"].unique(maintain_order=True).to_list()
    unpriced = [m for m in models if m not in prices]
    if unpriced:
        raise DatasetError(f"{path / 'models.json'}: no price for model(s) {', '.join(unpriced)}")
    val_cost, train_cost, notes = price_probing(val, train, prices)
    probe_results = pl.concat([
        results_frame(val.with_columns(cost_usd=val_cost), estimated=True),
        results_frame(train.with_columns(cost_usd=train_cost), estimated=True),
    ])
    probing = id_tasks.filter(pl.col("split") == "probing")
    line_of = dict(zip(id_tasks["task_id"], id_tasks["_line"], strict=True))
    for name, frame in (("id_val_results_long.csv", val), ("id_train_results_long.csv", train)):
        present = set(frame["task_id"])
        require_complete(frame, [t for t in probing["task_id"] if t in present], models, path / name,
                          tasks_file, line_of)
    probe_ids = set(probe_results["task_id"])
    missing_probe = probing.filter(~pl.col("task_id").is_in(list(probe_ids)))
    if missing_probe.height:
        raise DatasetError(f"{tasks_file}:{missing_probe['_line'][0]}: probing task "
                           f"{missing_probe['task_id'][0]!r} has no results in id_val/id_train")
    probe = ProbeSet([_id_task(r) for r in probing.iter_rows(named=True)], probe_results, models)
    if split == "id":
        test_file = path / "id_test_results_long.csv"
        test = read_csv(test_file, ("task_id", "dimension", "model", "score", "cost_usd"))
        test_rows = id_tasks.filter(pl.col("split") == "id_test")
        test_tasks = [_id_task(r) for r in test_rows.iter_rows(named=True)]
        require_complete(test, [t.task_id for t in test_tasks], models, test_file, tasks_file, line_of)
        test_results = results_frame(test.with_columns(pl.col("score").cast(pl.Float64),
                                                        pl.col("cost_usd").cast(pl.Float64)), estimated=False)
    else:
        test_file, ood_tasks_file = path / "ood176_results_long.csv", path / "ood176_tasks.jsonl"
        test = read_csv(test_file, ("task_id", "model", "resolved", "cost_usd"), score_column="resolved")
        rows = read_jsonl(ood_tasks_file)
        test_tasks, ood_lines = [], {}
        for line, obj in rows:
            if not isinstance(obj.get("task_id"), str):
                raise DatasetError(f"{ood_tasks_file}:{line}: 'task_id' must be a string")
            ood_lines[obj["task_id"]] = line
            meta = {k: v for k, v in obj.items() if k not in _OOD_NON_FEATURES and v is not None}
            test_tasks.append(RoutingTask(obj["task_id"], obj.get("dimension"), obj.get("prompt") or None, meta))
        require_complete(test, [t.task_id for t in test_tasks], models, test_file, ood_tasks_file, ood_lines)
        test_results = results_frame(test.with_columns(pl.col("resolved").cast(pl.Float64).alias("score"),
                                                        pl.col("cost_usd").cast(pl.Float64)), estimated=False)
    return BenchDataset("coderouterbench", split, path, probe, test_tasks, test_results, notes)


def _read_id_tasks(tasks_file: Path) -> pl.DataFrame:
    rows = read_jsonl(tasks_file)
    for line, obj in rows:
        if not isinstance(obj.get("task_id"), str) or obj.get("split") not in ("probing", "id_test"):
            raise DatasetError(f"{tasks_file}:{line}: need a string 'task_id' and 'split' probing|id_test")
    return pl.DataFrame({
        "task_id": [o["task_id"] for _, o in rows],
        "dimension": [o.get("dimension") for _, o in rows],
        "split": [o["split"] for _, o in rows],
        "source_split": [o.get("source_split") for _, o in rows],
        "_line": [line for line, _ in rows],
    }, schema={"task_id": pl.String, "dimension": pl.String, "split": pl.String, "source_split": pl.String,
               "_line": pl.Int64})


def _id_task(row: dict[str, Any]) -> RoutingTask:
    """ID tasks have no text; the source benchmark, encoded in the id, is their most telling feature.

    source_split is left out on purpose: it is train/val for every probe task and test for every test task.
    """
    match = _SOURCE_RE.match(row["task_id"])
    return RoutingTask(row["task_id"], row.get("dimension"), None, {"source": match.group(1)} if match else {})


