"""Benchmark datasets for router replays: CodeRouterBench and the generic ``tasks.jsonl`` + ``results.csv`` format.

Both loaders produce the same :class:`BenchDataset` (a probing set with every model's result, plus the test
tasks in routing order and their full results table), so the harness and every policy never see file layouts.
Bad input fails early with :class:`DatasetError` naming the file and line, before any routing starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from analytics.errors import CodexRouterError
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


class DatasetError(CodexRouterError, ValueError):
    """Input the bench cannot use; the message names the file and, when there is one, the line."""


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
    rows = _read_jsonl(tasks_file)
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
        _require_complete(results.filter(pl.col("_split") == split), [t.task_id for t in split_tasks], models,
                          results_file, tasks_file, line_of)
    probe_results = _results_frame(results.filter(pl.col("_split") == "probe"), estimated=False)
    test_results = _results_frame(results.filter(pl.col("_split") == "test"), estimated=False)
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
    _check_scores(frame, "score", "_score", results_file)
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
    prices = _read_prices(path / "models.json")
    tasks_file = path / "id_tasks.jsonl"
    id_tasks = _read_id_tasks(tasks_file)
    val = _read_csv(path / "id_val_results_long.csv",
                    ("task_id", "dimension", "model", "score", "cost_usd", "input_tokens", "output_tokens"))
    train = _read_csv(path / "id_train_results_long.csv",
                      ("task_id", "dimension", "model", "score", "total_tokens"))
    models = val["model"].unique(maintain_order=True).to_list()
    unpriced = [m for m in models if m not in prices]
    if unpriced:
        raise DatasetError(f"{path / 'models.json'}: no price for model(s) {', '.join(unpriced)}")
    val_cost, train_cost, notes = _price_probing(val, train, prices)
    probe_results = pl.concat([
        _results_frame(val.with_columns(cost_usd=val_cost), estimated=True),
        _results_frame(train.with_columns(cost_usd=train_cost), estimated=True),
    ])
    probing = id_tasks.filter(pl.col("split") == "probing")
    line_of = dict(zip(id_tasks["task_id"], id_tasks["_line"], strict=True))
    for name, frame in (("id_val_results_long.csv", val), ("id_train_results_long.csv", train)):
        present = set(frame["task_id"])
        _require_complete(frame, [t for t in probing["task_id"] if t in present], models, path / name,
                          tasks_file, line_of)
    probe_ids = set(probe_results["task_id"])
    missing_probe = probing.filter(~pl.col("task_id").is_in(list(probe_ids)))
    if missing_probe.height:
        raise DatasetError(f"{tasks_file}:{missing_probe['_line'][0]}: probing task "
                           f"{missing_probe['task_id'][0]!r} has no results in id_val/id_train")
    probe = ProbeSet([_id_task(r) for r in probing.iter_rows(named=True)], probe_results, models)
    if split == "id":
        test_file = path / "id_test_results_long.csv"
        test = _read_csv(test_file, ("task_id", "dimension", "model", "score", "cost_usd"))
        test_rows = id_tasks.filter(pl.col("split") == "id_test")
        test_tasks = [_id_task(r) for r in test_rows.iter_rows(named=True)]
        _require_complete(test, [t.task_id for t in test_tasks], models, test_file, tasks_file, line_of)
        test_results = _results_frame(test.with_columns(pl.col("score").cast(pl.Float64),
                                                        pl.col("cost_usd").cast(pl.Float64)), estimated=False)
    else:
        test_file, ood_tasks_file = path / "ood176_results_long.csv", path / "ood176_tasks.jsonl"
        test = _read_csv(test_file, ("task_id", "model", "resolved", "cost_usd"), score_column="resolved")
        rows = _read_jsonl(ood_tasks_file)
        test_tasks, ood_lines = [], {}
        for line, obj in rows:
            if not isinstance(obj.get("task_id"), str):
                raise DatasetError(f"{ood_tasks_file}:{line}: 'task_id' must be a string")
            ood_lines[obj["task_id"]] = line
            meta = {k: v for k, v in obj.items() if k not in _OOD_NON_FEATURES and v is not None}
            test_tasks.append(RoutingTask(obj["task_id"], obj.get("dimension"), obj.get("prompt") or None, meta))
        _require_complete(test, [t.task_id for t in test_tasks], models, test_file, ood_tasks_file, ood_lines)
        test_results = _results_frame(test.with_columns(pl.col("resolved").cast(pl.Float64).alias("score"),
                                                        pl.col("cost_usd").cast(pl.Float64)), estimated=False)
    return BenchDataset("coderouterbench", split, path, probe, test_tasks, test_results, notes)


def coderouterbench_prices(path: Path) -> dict[str, tuple[float, float]]:
    """models.json: model -> (input, output) USD per million tokens."""
    return _read_prices(Path(path) / "models.json")


def coderouterbench_profiles(path: Path) -> pl.DataFrame:
    """How each model behaves per dimension: columns dimension, model, score (mean), input_tokens,
    output_tokens (means) and latency_ms (median; null where not measured, a median of 0).

    The nine ID dimensions come from id_val + id_test, ``agentic`` from OOD176 (``resolved`` as the score,
    its tasks are agentic whatever their dimension; that file has no latency).
    """
    path = Path(path)
    needed = ("dimension", "model", "score", "input_tokens", "output_tokens", "latency_ms")
    id_rows = pl.concat([_read_csv(path / name, needed).select(needed)
                         for name in ("id_val_results_long.csv", "id_test_results_long.csv")], how="vertical_relaxed")
    ood = _read_csv(path / "ood176_results_long.csv", ("model", "resolved", "in_tok", "out_tok"), "resolved")
    agentic = ood.select(pl.lit("agentic").alias("dimension"), "model", pl.col("resolved").alias("score"),
                         pl.col("in_tok").alias("input_tokens"), pl.col("out_tok").alias("output_tokens"),
                         pl.lit(None, pl.Int64).alias("latency_ms"))
    rows = pl.concat([id_rows, agentic], how="vertical_relaxed")
    return (rows.group_by("dimension", "model", maintain_order=True)
            .agg(pl.col("score").cast(pl.Float64).mean(), pl.col("input_tokens").mean(),
                 pl.col("output_tokens").mean(), pl.col("latency_ms").median())
            .with_columns(pl.when(pl.col("latency_ms") > 0).then(pl.col("latency_ms")).alias("latency_ms")))


def _read_prices(models_file: Path) -> dict[str, tuple[float, float]]:
    try:
        data = json.loads(models_file.read_text(encoding="utf-8"))
        return {m["model"]: (float(m["input_per_1m"]), float(m["output_per_1m"])) for m in data["models"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{models_file}: expected {{'models': [{{model, input_per_1m, output_per_1m}}]}}: "
                           f"{exc}") from exc


def _read_id_tasks(tasks_file: Path) -> pl.DataFrame:
    rows = _read_jsonl(tasks_file)
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


def _price_probing(val: pl.DataFrame, train: pl.DataFrame,
                   prices: dict[str, tuple[float, float]]) -> tuple[pl.Series, pl.Series, list[str]]:
    """Put the probing costs in the test set's units (models.json prices, as id_test's cost_usd uses).

    id_val logs its own cost_usd at other prices, so it is repriced from its input/output tokens. id_train
    has only total_tokens: they are split with the input share seen on val per model x dimension.
    """
    price = pl.DataFrame({"model": list(prices), "_pin": [p[0] for p in prices.values()],
                          "_pout": [p[1] for p in prices.values()]})
    tokens_known = pl.col("input_tokens").is_not_null() & pl.col("output_tokens").is_not_null()
    known = val.filter(tokens_known)
    share = (pl.col("input_tokens").sum() / (pl.col("input_tokens") + pl.col("output_tokens")).sum())
    by_dim = known.group_by("model", "dimension").agg(share.alias("_r"))
    by_model = known.group_by("model").agg(share.alias("_rm"))

    def priced(frame: pl.DataFrame) -> pl.DataFrame:
        return (frame.join(by_dim, on=["model", "dimension"], how="left", maintain_order="left")
                .join(by_model, on="model", how="left", maintain_order="left")
                .join(price, on="model", how="left", maintain_order="left")
                .with_columns(pl.coalesce("_r", "_rm", pl.lit(0.5)).alias("_share")))

    by_split = ((pl.col("_share") * pl.col("_pin") + (1 - pl.col("_share")) * pl.col("_pout")) / 1e6)
    exact = (pl.col("input_tokens") * pl.col("_pin") + pl.col("output_tokens") * pl.col("_pout")) / 1e6
    val_p = priced(val).with_columns(
        pl.when(tokens_known).then(exact).otherwise(pl.col("cost_usd")).alias("_cost"))
    train_cost = priced(train).select((pl.col("total_tokens").cast(pl.Float64) * by_split).alias("cost_usd"))
    val_known = val_p.filter(tokens_known)
    exact_sum, logged_sum = val_known["_cost"].sum(), val_known["cost_usd"].sum()
    notes = [
        "id_val's logged cost_usd uses other prices than models.json and id_test "
        f"(it is {100 * logged_sum / exact_sum:.0f}% of the models.json price): repriced from its "
        "input/output tokens with models.json" if exact_sum else "id_val has no token counts to reprice",
        "id_train has no cost: estimated as total_tokens x (r x input price + (1 - r) x output price) from "
        "models.json, r = input-token share per model x dimension learned on id_val"
        if exact_sum else "id_train has no cost: estimated from total_tokens at a 50/50 input/output split",
    ]
    return val_p["_cost"], train_cost["cost_usd"], notes


# ----------------------------------------------------------------------------------------------------------
# shared checks

def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
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


def _read_csv(path: Path, needed: tuple[str, ...], score_column: str = "score") -> pl.DataFrame:
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
    _check_scores(frame, score_column, score_column, path)
    return frame


def _check_scores(frame: pl.DataFrame, shown: str, column: str, path: Path) -> None:
    values = frame[column].cast(pl.Float64, strict=False)
    bad = frame.filter(values.is_null() | values.is_nan() | (values < 0) | (values > 1))
    if bad.height:
        row = bad.row(0, named=True)
        raise DatasetError(f"{path}:{row['_line']}: {shown} {row[shown]!r} is not a number in [0, 1]")


def _require_complete(results: pl.DataFrame, task_ids: list[str], models: list[str], results_file: Path,
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


def _results_frame(frame: pl.DataFrame, *, estimated: bool) -> pl.DataFrame:
    return frame.select(
        pl.col("task_id").cast(pl.String), pl.col("model").cast(pl.String), pl.col("score").cast(pl.Float64),
        pl.col("cost_usd").cast(pl.Float64), pl.lit(estimated).alias("cost_estimated"),
    )
