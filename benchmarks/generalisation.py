"""Does the router beat every single model on routing data it has never seen? The protocol of docs/router.md.

Splits (each: priors from its probe part, then its test tasks in order with bandit feedback):

* ``id``: CodeRouterBench probing -> id_test. ID tasks carry no text, so this and every ``loso`` split are
  metadata-only already (dimension and source).
* ``loso:<source>``: the same, with every probing task of one source benchmark removed, so that source is
  unseen when its test tasks arrive among the known ones. One split per source.
* ``ood`` / ``ood-meta``: probing -> OOD176 agentic tasks, with their prompt / with the text dropped.
* ``many-models``: a synthetic generic dataset (tasks.jsonl + results.csv, DESIGN section 8) written at run
  time into a temporary folder, never committed: 500 id_test tasks (with every cost known) drawn with a fixed seed, 150 probe / 350
  test, metadata only (``repo`` = the source benchmark, no dimension); 25 models, the 8 real ones plus 17
  variants of them, each variant's scores flipped on a seeded 15% of tasks and its costs scaled by a factor
  between 0.3x and 3x; every cost times 90 so a task costs cents to dollars, as on agentic work.

For each split the router is swept over the cost weights of ``--grid`` and compared with the single-model
hull (``router.sweep``). Reported at the one default (``--default``, the settings' eps_cost): AvgPerf, cost,
the lift; whether the hindsight frontier of per-group static routing (``hindsight_frontier.static_frontier``)
rises above the hull at that cost (``reachable``: only there can a router gain anything); and the best beat of
a non-dominated single model on the sweep (target: >= 2 points at no more cost).

``--choose`` runs the protocol that picks the default, on the probing split only (never a test split): train
tasks minus one source as priors, the val tasks as the replay, once per source; plus the 25-model synthetic
built from the val tasks. The grid point with the most folds at lift >= 0, then the highest mean lift, wins; a
stronger cost weight within ``CHOOSE_TOLERANCE`` points of that mean lift wins over it (a cheaper default for
practically the same lift).

    .venv/bin/python benchmarks/generalisation.py [--data DIR] [--splits id,ood,...] [--grid 0,-0.1,...]
        [--choose] [--order-seed N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from acrouter_proxy import parse_setting  # noqa: E402
from hindsight_frontier import DEFAULT_DATA, known_means_point, static_frontier  # noqa: E402

from router.bench import BenchOptions, OutcomeTable, sweep_dataset  # noqa: E402
from router.dataset_readers import DatasetError  # noqa: E402
from router.datasets import BenchDataset, load_dataset  # noqa: E402
from router.routing import ProbeSet  # noqa: E402
from router.settings import RouterSettings  # noqa: E402
from router.sweep import Point, Sweep, hull_perf_at, upper_hull  # noqa: E402

GRID = (0.0, -0.05, -0.1, -0.2, -0.4, -0.8, -1.6)
BEAT_TARGET = 2.0
CHOOSE_TOLERANCE = 0.5  # AvgPerf points: mean lifts this close are a tie, broken toward the stronger cost weight  # AvgPerf points over a non-dominated single model at no more cost
SYNTHETIC_TASKS, SYNTHETIC_PROBE, SYNTHETIC_VARIANTS = 500, 150, 17
SYNTHETIC_FLIP, SYNTHETIC_COST_SCALE = 0.15, 90.0
# The --choose fold that stands for a cost shift (agentic work priced unlike the probing split): replayed costs
# times SHIFT_LEVEL, and each model's log-cost distance from the models' geometric mean times SHIFT_SPREAD, so
# the dearest model is several times dearer *relative to the others* than the priors say.
SHIFT_LEVEL, SHIFT_SPREAD = 50.0, 2.0


def without_sources(dataset: BenchDataset, sources: set[str]) -> BenchDataset:
    """``dataset`` with the probe tasks of ``sources`` removed (their test tasks stay: they arrive unseen)."""
    probe = dataset.probe
    keep = [t for t in probe.tasks if t.metadata.get("source") not in sources]
    ids = [t.task_id for t in keep]
    return BenchDataset(f"{dataset.name} without {','.join(sorted(sources))}", dataset.split, dataset.path,
                        ProbeSet(keep, probe.results.filter(pl.col("task_id").is_in(ids)), probe.models),
                        dataset.test_tasks, dataset.test_results, dataset.notes)


def many_models(dataset: BenchDataset, folder: Path, seed: int = 0) -> BenchDataset:
    """The synthetic 25-model generic dataset (module docstring), written to ``folder`` and loaded back."""
    full = OutcomeTable(dataset.test_tasks, dataset.test_results, dataset.probe.models)
    priced = [t for t, ok in zip(dataset.test_tasks, np.isfinite(full.cost).all(axis=1), strict=True) if ok]
    tasks = random.Random(seed).sample(priced, SYNTHETIC_TASKS)
    table = OutcomeTable(tasks, dataset.test_results, dataset.probe.models)
    np_rng = np.random.default_rng(seed)
    names, scores, costs = list(table.models), [table.score[:, j] for j in range(len(table.models))], \
        [table.cost[:, j] * SYNTHETIC_COST_SCALE for j in range(len(table.models))]
    factors = np.geomspace(0.3, 3.0, SYNTHETIC_VARIANTS)
    for v in range(SYNTHETIC_VARIANTS):
        base = v % len(table.models)
        flip = np_rng.random(len(tasks)) < SYNTHETIC_FLIP
        names.append(f"{table.models[base]}-v{v}")
        scores.append(np.where(flip, 1.0 - table.score[:, base], table.score[:, base]))
        costs.append(table.cost[:, base] * SYNTHETIC_COST_SCALE * factors[v])
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "tasks.jsonl").open("w", encoding="utf-8") as out:
        for i, task in enumerate(tasks):
            split = "probe" if i < SYNTHETIC_PROBE else "test"
            out.write(json.dumps({"task_id": f"s{i}", "split": split, "repo": task.metadata.get("source")}) + "\n")
    rows = [(f"s{i}", name, float(scores[j][i]), float(costs[j][i]))
            for i in range(len(tasks)) for j, name in enumerate(names)]
    pl.DataFrame(rows, schema=["task_id", "model", "score", "cost_usd"], orient="row").write_csv(folder / "results.csv")
    return load_dataset(folder)


def cost_shifted(dataset: BenchDataset) -> BenchDataset:
    """``dataset`` with its replayed costs shifted (``SHIFT_LEVEL``, ``SHIFT_SPREAD``); probe costs unchanged.

    Tasks with an unknown cost are left out (a shifted total needs every cost)."""
    unpriced = set(dataset.test_results.filter(pl.col("cost_usd").is_null())["task_id"].to_list())
    tasks = [t for t in dataset.test_tasks if t.task_id not in unpriced]
    results = dataset.test_results.filter(~pl.col("task_id").is_in(list(unpriced)))
    means = results.group_by("model").agg(pl.col("cost_usd").mean().alias("_mean")).filter(pl.col("_mean") > 0)
    centre = float(np.exp(np.log(means["_mean"].to_numpy()).mean()))
    factor = means.with_columns((SHIFT_LEVEL * (pl.col("_mean") / centre) ** (SHIFT_SPREAD - 1)).alias("_f"))
    shifted = (results.join(factor.select("model", "_f"), on="model", how="left", maintain_order="left")
               .with_columns(pl.col("cost_usd") * pl.col("_f")).drop("_f"))
    return BenchDataset(f"{dataset.name}, costs shifted", dataset.split, dataset.path, dataset.probe,
                        tasks, shifted, dataset.notes)


def shuffled(dataset: BenchDataset, seed: int) -> BenchDataset:
    """``dataset`` with its test tasks in an order shuffled by ``seed`` (the same tasks, outcomes and hull)."""
    tasks = list(dataset.test_tasks)
    random.Random(seed).shuffle(tasks)
    return replace(dataset, test_tasks=tasks)


def val_folds(data: Path, probing: BenchDataset, kinds: set[str], folder: Path) -> list[tuple[str, BenchDataset]]:
    """The ``--choose`` folds, from the probing split only: ``sources``, train minus one source as the probe and
    the val tasks replayed, once per source; ``many-models``, the synthetic 25-model dataset built from the val
    tasks instead of id_test; ``cost-shift``, train minus one source as the probe and only that source's val
    tasks replayed, their costs shifted (``cost_shifted``): a new kind of task priced unlike the priors, once
    per source."""
    split_of = {row["task_id"]: row.get("source_split")
                for row in (json.loads(line) for line in (data / "id_tasks.jsonl").read_text().splitlines() if line)}
    probe = probing.probe
    val = [t for t in probe.tasks if split_of.get(t.task_id) == "val"]
    train = [t for t in probe.tasks if split_of.get(t.task_id) == "train"]
    val_ids = [t.task_id for t in val]
    sources = sorted({t.metadata.get("source") for t in val} & {t.metadata.get("source") for t in train} - {None})
    folds = []
    if "many-models" in kinds:
        val_set = BenchDataset("val", "val", data, probe, val, probe.results.filter(pl.col("task_id").is_in(val_ids)), [])
        folds.append(("many-models(val)", many_models(val_set, folder / "many-models-val")))
    for source in sources if "sources" in kinds else []:
        keep = [t for t in train if t.metadata.get("source") != source]
        fold = BenchDataset(f"val, train without {source}", "val", data,
                            ProbeSet(keep, probe.results.filter(pl.col("task_id").is_in([t.task_id for t in keep])),
                                     probe.models),
                            val, probe.results.filter(pl.col("task_id").is_in(val_ids)), [])
        folds.append((source, fold))
    for source in sources if "cost-shift" in kinds else []:
        keep = [t for t in train if t.metadata.get("source") != source]
        unseen = [t for t in val if t.metadata.get("source") == source]
        fold = BenchDataset(f"val of {source}, train without it", "val", data,
                            ProbeSet(keep, probe.results.filter(pl.col("task_id").is_in([t.task_id for t in keep])),
                                     probe.models),
                            unseen, probe.results.filter(pl.col("task_id").is_in([t.task_id for t in unseen])), [])
        folds.append((f"cost-shift:{source}", cost_shifted(fold)))
    return folds


def summarise(name: str, dataset: BenchDataset, sweep: Sweep, default: float) -> dict[str, Any]:
    """One row of the table: the default's point and lift, reachability, the known-means point at the default
    (``hindsight_frontier.known_means_point``: where the reward leads a router that knew each group's answers),
    and the sweep's best beat."""
    _, static = static_frontier(dataset)
    static_hull = upper_hull([Point(str(i), float(p["avg_perf"]), float(p["cost_usd"])) for i, p in enumerate(static)])
    row = next(r for r in sweep.rows if r.eps_cost == default)
    hull_perf = hull_perf_at(sweep.hull, row.point.cost_usd)
    static_perf = hull_perf_at(static_hull, row.point.cost_usd)
    reachable = (static_perf is not None and hull_perf is not None and static_perf > hull_perf + 1e-9)
    best = max((r for r in sweep.rows if r.beat is not None), key=lambda r: r.beat, default=None)
    return {
        "split": name, "tasks": len(dataset.test_tasks), "models": len(dataset.probe.models),
        "cost_spread": round(max(p.cost_usd for p in sweep.always) / max(min(p.cost_usd for p in sweep.always), 1e-12), 1),
        "hull": [f"{p.name.removeprefix('always:')} {p.avg_perf:.1f}% ${p.cost_usd:.2f}" for p in sweep.hull],
        "default": {"eps_cost": default, "avg_perf": round(row.point.avg_perf, 2), "cost_usd": round(row.point.cost_usd, 2),
                    "lift": None if row.lift is None else round(row.lift, 2),
                    "models_used": sum(1 for s in row.mix.values() if s >= 0.01)},
        "hindsight_gap": None if static_perf is None or hull_perf is None else round(static_perf - hull_perf, 2),
        "reachable": reachable,
        "known_means": known_means_point(dataset, default),
        "lift_ok": (not reachable) or (row.lift is not None and row.lift >= 0),
        "best_beat": None if best is None else {"eps_cost": best.eps_cost, "beat": round(best.beat, 2),
                                                "vs": best.beat_model, "avg_perf": round(best.point.avg_perf, 2),
                                                "cost_usd": round(best.point.cost_usd, 2)},
        "beat_ok": best is not None and best.beat >= BEAT_TARGET,
        "sweep": [(r.eps_cost, round(r.point.avg_perf, 2), round(r.point.cost_usd, 2)) for r in sweep.rows],
    }


def render(rows: list[dict[str, Any]]) -> str:
    lines = ["| split | tasks | models (cost spread) | default AvgPerf / cost | lift | hindsight gap | known means at the default | best beat on the sweep | lift >= 0 where reachable | beat >= 2 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        d, b, k = r["default"], r["best_beat"], r["known_means"]
        beat = "-" if b is None else f"{b['beat']:+.2f} vs {b['vs'].removeprefix('always:')} (eps {b['eps_cost']:g}: {b['avg_perf']:.2f}% ${b['cost_usd']:.2f})"
        lines.append(f"| {r['split']} | {r['tasks']} | {r['models']} ({r['cost_spread']:g}x) | {d['avg_perf']:.2f}% ${d['cost_usd']:.2f} "
                     f"| {'-' if d['lift'] is None else format(d['lift'], '+.2f')} | {'-' if r['hindsight_gap'] is None else r['hindsight_gap']} | {k['avg_perf']:.2f}% ${k['cost_usd']:.2f} "
                     f"| {beat} | {'yes' if r['lift_ok'] else 'NO'}{'' if r['reachable'] else ' (not reachable)'} | {'yes' if r['beat_ok'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--splits", default="id,ood,ood-meta,loso,many-models",
                        help="comma-separated: id, ood, ood-meta, loso (every source) or loso:<source>, many-models")
    parser.add_argument("--grid", default=",".join(f"{g:g}" for g in GRID), help="eps_cost values swept")
    parser.add_argument("--default", type=float, default=RouterSettings().eps_cost,
                        help="the one default eps_cost judged (default: the settings' default)")
    parser.add_argument("--set", default="", metavar="K=V[,K=V]",
                        help="router settings other than eps_cost for every split (a variant the protocol compares)")
    parser.add_argument("--choose", action="store_true", help="run the default-choosing protocol (probing only)")
    parser.add_argument("--folds", default="sources,many-models",
                        help="--choose folds: sources (train minus one source -> val), many-models (synthetic, from "
                             "val), cost-shift (train minus one source -> that source's val tasks, costs shifted)")
    parser.add_argument("--order-seed", type=int, default=None, metavar="N",
                        help="diagnostic: replay each split's test tasks in an order shuffled with seed N instead of "
                             "the file's (does a result rest on one lucky streak?)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args(argv)
    grid = sorted({float(x) for x in args.grid.split(",") if x.strip()} | {args.default}, reverse=True)
    try:
        overrides = parse_setting(args.set)
    except ValueError as exc:
        parser.error(str(exc))
    options = BenchOptions(eps_cost=args.default, overrides=tuple(overrides.items()))
    try:
        id_data = load_dataset(args.data, "id")
        ood_data = load_dataset(args.data, "ood") if any(s.startswith("ood") for s in args.splits.split(",")) else None
    except DatasetError as exc:
        parser.error(str(exc))
    started = time.monotonic()
    if args.choose:
        kinds = {k.strip() for k in args.folds.split(",") if k.strip()}
        folds = val_folds(args.data, id_data, kinds, Path(tempfile.mkdtemp(prefix="generalisation-")))
        per_eps: dict[float, list[float]] = {eps: [] for eps in grid}
        for source, fold in folds:
            sweep = sweep_dataset(fold, grid, options)
            for row in sweep.rows:
                per_eps[row.eps_cost].append(0.0 if row.lift is None else row.lift)
            print(f"fold {source}: " + ", ".join(f"{r.eps_cost:g}: {r.lift if r.lift is None else round(r.lift, 2)}"
                                                 for r in sweep.rows), file=sys.stderr)
        # Most folds at lift >= 0, then the highest mean lift; a stronger cost weight whose mean lift is within
        # CHOOSE_TOLERANCE of the best wins (the cheaper default for practically the same lift).
        most = max(sum(v >= 0 for v in per_eps[e]) for e in grid)
        eligible = [e for e in grid if sum(v >= 0 for v in per_eps[e]) == most]
        top = max(float(np.mean(per_eps[e])) for e in eligible)
        ranking = sorted(e for e in eligible if float(np.mean(per_eps[e])) >= top - CHOOSE_TOLERANCE)
        report = {"protocol": "probing only: " + ", ".join(sorted(kinds)), "folds": len(folds), "set": overrides,
                  "per_eps": {f"{e:g}": {"folds_lift_ge_0": sum(v >= 0 for v in per_eps[e]),
                                         "mean_lift": round(float(np.mean(per_eps[e])), 3)} for e in grid},
                  "chosen_eps_cost": ranking[0], "seconds": round(time.monotonic() - started, 1)}
        print(json.dumps(report, indent=2))
        return 0
    splits: list[tuple[str, BenchDataset]] = []
    with tempfile.TemporaryDirectory(prefix="generalisation-") as tmp:
        for name in [s.strip() for s in args.splits.split(",") if s.strip()]:
            if name == "id":
                splits.append(("id", id_data))
            elif name == "ood":
                splits.append(("ood", ood_data))
            elif name == "ood-meta":
                splits.append(("ood-meta", ood_data.without_text()))
            elif name == "loso" or name.startswith("loso:"):
                sources = sorted({t.metadata.get("source") for t in id_data.test_tasks} - {None})
                for source in sources if name == "loso" else [name.removeprefix("loso:")]:
                    splits.append((f"loso:{source}", without_sources(id_data, {source})))
            elif name == "many-models":
                splits.append(("many-models", many_models(id_data, Path(tmp) / "many-models")))
            else:
                parser.error(f"--splits: unknown split {name!r}")
        if args.order_seed is not None:
            splits = [(name, shuffled(dataset, args.order_seed)) for name, dataset in splits]
        rows = []
        for name, dataset in splits:
            t0 = time.monotonic()
            rows.append(summarise(name, dataset, sweep_dataset(dataset, grid, options), args.default))
            print(f"{name}: {time.monotonic() - t0:.1f}s", file=sys.stderr)
    if args.json:
        print(json.dumps({"grid": grid, "default_eps_cost": args.default, "set": overrides, "rows": rows,
                          "seconds": round(time.monotonic() - started, 1)}, indent=2))
    else:
        print(render(rows))
        print(f"grid: {', '.join(f'{g:g}' for g in grid)}; default eps_cost {args.default:g}; "
              f"{time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
