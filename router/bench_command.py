"""Replay routers on a benchmark: priors from the probing split, then the test tasks one at a time with
bandit feedback (only the chosen model's score and cost are revealed, and the router updates before the
next task). Reports AvgPerf%, cumulative regret, total cost and Perf/$ per router.

DIR is a CodeRouterBench folder (--split id: probing -> id_test; ood: probing -> OOD176) or a generic
dataset: tasks.jsonl (task_id, split = probe|test, optional dimension, prompt, language, difficulty and any
other metadata, used as features) and results.csv (task_id, model, score in [0, 1], cost_usd, optional token
and latency columns). Without --data, ../shared/data/coderouterbench is looked up beside the repository and
the current directory.

--sweep replays ACRouter once per cost weight of --grid and prints its (cost, AvgPerf) points beside the
single-model frontier: the non-dominated Always-<model> points and the hull between them (a straight segment is
a random split of the tasks between two models). Per point: the lift (AvgPerf minus the hull's AvgPerf at the
same cost), the cost saved (the hull's cost at the same AvgPerf minus the point's), the best margin over a
non-dominated single model costing at least as much, and the mix of models chosen; then a chart.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from analytics import cli_options
from analytics.errors import CommandError

DEFAULT_ROUTERS = "oracle,random,always,dimension-best,linucb,static-classifier,acrouter"
# The cost weights --sweep replays by default: the default setting's eps_cost and steps around it.
SWEEP_GRID = (0.0, -0.05, -0.1, -0.2, -0.4, -0.8, -1.6, -3.2)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="dataset folder (default: ../shared/data/coderouterbench beside the repo or cwd)")
    parser.add_argument("--split", choices=("id", "ood"),
                        help="CodeRouterBench only: id (default) or ood; a generic dataset has its own split")
    parser.add_argument("--routers", default=DEFAULT_ROUTERS, metavar="LIST",
                        help="comma-separated: oracle, random, always (one row per model), always:<model>, "
                             "dimension-best, dimension-best-online, linucb, static-classifier, acrouter, "
                             "acrouter-no-memory (the ablation without nearest-neighbour votes) "
                             f"(default: {DEFAULT_ROUTERS})")
    parser.add_argument("--eps-perf", type=float, default=1.0, metavar="F",
                        help="reward weight of the score, for ACRouter and reward-based baselines (default 1.0)")
    parser.add_argument("--eps-cost", type=float, default=-0.1, metavar="F",
                        help="reward weight of kappa, 0.1 x log2 of a model's cost over the candidates' geometric "
                             "mean (at -0.1 a model twice as dear must score 0.01 higher; the unit is printed "
                             "with the results) (default -0.1)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the random router and of ACRouter's random draws (default 0)")
    parser.add_argument("--linucb-alpha", type=float, default=1.0, metavar="F",
                        help="LinUCB exploration width (default 1.0)")
    parser.add_argument("--linucb-ridge", type=float, default=1.0, metavar="F",
                        help="LinUCB ridge regularisation, A starts at ridge x I (default 1.0)")
    parser.add_argument("--sweep", action="store_true",
                        help="replay ACRouter at every --grid cost weight beside the single-model frontier "
                             "(--routers is ignored)")
    parser.add_argument("--grid", default=None, metavar="LIST",
                        help="comma-separated eps_cost values for --sweep (default: "
                             f"{','.join(f'{g:g}' for g in SWEEP_GRID)})")
    parser.add_argument("--no-text", action="store_true",
                        help="drop every task's text: the metadata-only variant, routed on priors and online "
                             "learning alone (no embeddings)")
    cli_options.add_json(parser, "the table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


class ProgressBar:
    """A one-line bar per router on stderr, redrawn at most ten times a second (one line when not a tty)."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.tty = stream.isatty()

    def __call__(self, name: str) -> Callable[[int, int], None]:
        last = [0.0]
        started = time.monotonic()

        def update(done: int, total: int) -> None:
            now = time.monotonic()
            finished = done >= total
            if not finished and (not self.tty or now - last[0] < 0.1):
                return
            last[0] = now
            filled = int(self.width * done / total) if total else self.width
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"{name:<28} [{bar}] {done}/{total} {now - started:5.1f}s"
            self.stream.write(("\r" + line if self.tty else line) + ("\n" if finished else ""))
            self.stream.flush()

        return update


def run(args: argparse.Namespace) -> int:
    from router.bench import BenchOptions, RouterFailure, expand_router_names, run_routers
    from router.dataset_readers import DatasetError
    from router.datasets import CRB_SUFFIX, find_coderouterbench, load_dataset
    from router.settings import COST_UNIT, RouterSettings, SettingsError

    data = args.data or find_coderouterbench()
    if data is None:
        raise CommandError(f"no dataset: pass --data DIR (looked for {CRB_SUFFIX} beside the repository and "
                           "the current directory)", 2)
    try:
        RouterSettings(eps_perf=args.eps_perf, eps_cost=args.eps_cost)
    except SettingsError as exc:
        raise CommandError(str(exc), 2) from None
    if args.linucb_alpha < 0 or not args.linucb_ridge > 0:
        raise CommandError("--linucb-alpha must be >= 0 and --linucb-ridge > 0", 2)
    grid = _parse_grid(args.grid)
    try:
        dataset = load_dataset(data, args.split)
    except DatasetError as exc:
        raise CommandError(str(exc), 2) from None
    if args.no_text:
        dataset = dataset.without_text()
    if args.sweep:
        return _run_sweep(args, dataset, grid)
    try:
        names = expand_router_names([n.strip() for n in args.routers.split(",") if n.strip()],
                                    dataset.probe.models)
    except ValueError as exc:
        raise CommandError(f"--routers: {exc}", 2) from None
    if not names:
        raise CommandError("--routers: no router named", 2)

    options = BenchOptions(seed=args.seed, eps_perf=args.eps_perf, eps_cost=args.eps_cost,
                           alpha=args.linucb_alpha, ridge=args.linucb_ridge)
    progress = None if args.no_progress else ProgressBar(sys.stderr)
    results = run_routers(dataset, names, options, progress)
    report = {
        "dataset": dataset.name,
        "path": str(dataset.path),
        "split": dataset.split,
        "tasks": len(dataset.test_tasks),
        "probe_tasks": len(dataset.probe.tasks),
        "models": dataset.probe.models,
        "settings": {"eps_perf": args.eps_perf, "eps_cost": args.eps_cost, "cost_unit": COST_UNIT,
                     "seed": args.seed, "linucb_alpha": args.linucb_alpha, "linucb_ridge": args.linucb_ridge},
        "routers": [_clean(r.summary()) for r in results],
        "notes": dataset.notes,
    }
    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        print(render_table(report))
    return 1 if any(isinstance(r, RouterFailure) and r.failed for r in results) else 0


def _parse_grid(text: str | None) -> list[float]:
    """--grid as floats, each a valid eps_cost (usage error otherwise)."""
    from router.settings import RouterSettings, SettingsError

    if text is None:
        return list(SWEEP_GRID)
    try:
        grid = [float(x) for x in text.split(",") if x.strip()]
        for value in grid:
            RouterSettings(eps_cost=value)
    except (ValueError, SettingsError) as exc:
        raise CommandError(f"--grid: {exc}", 2) from None
    if not grid:
        raise CommandError("--grid: no cost weight given", 2)
    return list(dict.fromkeys(grid))


def _run_sweep(args: argparse.Namespace, dataset: Any, grid: list[float]) -> int:
    from router.bench import BenchOptions, sweep_dataset
    from router.settings import COST_UNIT, KNOB_STEP

    progress = None if args.no_progress else ProgressBar(sys.stderr)
    options = BenchOptions(seed=args.seed, eps_perf=args.eps_perf, eps_cost=args.eps_cost)
    try:
        sweep = sweep_dataset(dataset, grid, options, progress)
    except ValueError as exc:  # the dataset's tasks cannot be routed (e.g. an unknown dimension)
        raise CommandError(f"--sweep: {exc}", 1) from None
    report = {"dataset": dataset.name, "path": str(dataset.path), "split": dataset.split,
              "tasks": len(dataset.test_tasks), "models": dataset.probe.models,
              "settings": {"eps_perf": args.eps_perf, "default_eps_cost": args.eps_cost, "cost_unit": COST_UNIT,
                           "knob_step": KNOB_STEP, "seed": args.seed, "grid": grid},
              **sweep.to_dict(), "notes": dataset.notes}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        from router.sweep import render_chart

        print(render_sweep_table(report))
        print(render_chart(sweep))
    return 0


def render_sweep_table(report: dict[str, Any]) -> str:
    """The sweep as text: the frontier, then one row per cost weight (lift, saving, best beat, model mix)."""
    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    lines = [f"{report['dataset']} · split {report['split']} · {report['tasks']} test tasks, "
             f"{len(report['models'])} models · sweep of eps_cost",
             "single-model frontier (non-dominated Always-<model>; * on the hull):"]
    hull = {p["name"] for p in report["hull"]}
    for p in report["frontier"]:
        lines.append(f"  {'*' if p['name'] in hull else ' '} {p['name']:<28} {p['avg_perf']:6.2f}%  ${p['cost_usd']:.2f}")
    header = ("eps_cost", "AvgPerf%", "Cost $", "lift", "saved $", "beat", "mix (top 3)")
    rows = []
    for r in report["sweep"]:
        mix = ", ".join(f"{m} {100 * s:.0f}%" for m, s in list(r["mix"].items())[:3])
        mark = " (default)" if r["eps_cost"] == report["default_eps_cost"] else ""
        rows.append((f"{r['eps_cost']:g}{mark}", f"{r['avg_perf']:.2f}", f"{r['cost_usd']:.2f}",
                     num(r["lift"], "+.2f"), num(r["cost_saved_usd"], "+.2f"),
                     "-" if r["beat"] is None else f"{r['beat']:+.2f} vs {r['beat_model']}", mix))
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        lines.append("  ".join(f"{cell:<{w}}" if i in (0, 5, 6) else f"{cell:>{w}}"
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip())
    lines.append("lift: AvgPerf minus the hull's at the same cost; saved: the hull's cost at the same AvgPerf "
                 "minus the point's; beat: best AvgPerf margin over a non-dominated single model costing as much "
                 "or more; - where the hull does not reach")
    lines.append(f"reward = {report['settings']['eps_perf']} x score + eps_cost x kappa; "
                 f"{report['settings']['cost_unit']}; {report['settings']['knob_step']}")
    lines += [f"note: {note}" for note in report["notes"]]
    return "\n".join(lines)


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """Round for output; JSON has no infinity, so non-finite numbers become null."""
    out = {}
    for key, value in row.items():
        if isinstance(value, float):
            value = round(value, 6) if math.isfinite(value) else None
        out[key] = value
    return out


def render_table(report: dict[str, Any]) -> str:
    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    header = ("Router", "AvgPerf%", "CumRegret", "Cost $", "Perf/$")
    measured = [r for r in report["routers"] if r["avg_perf"] is not None]
    rows = [(r["name"], num(r["avg_perf"], ".2f"), num(r["cum_regret"], ".1f"), num(r["cost_usd"], ".2f"),
             num(r["perf_per_dollar"], ".2f")) for r in measured]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [f"{report['dataset']} · split {report['split']} · {report['tasks']} test tasks, "
             f"{report['probe_tasks']} probing tasks, {len(report['models'])} models"]
    for row in (header, *rows):
        lines.append("  ".join([f"{row[0]:<{widths[0]}}"]
                               + [f"{cell:>{w}}" for cell, w in zip(row[1:], widths[1:], strict=True)]))
    for r in report["routers"]:
        if r["avg_perf"] is None:
            status = "error" if "error" in r else "unavailable"
            lines.append(f"{r['name']:<{widths[0]}}  {status}: {r.get('error') or r.get('unavailable')}")
    settings = report["settings"]
    lines.append(f"reward = {settings['eps_perf']} x score + {settings['eps_cost']} x kappa; {settings['cost_unit']}")
    lines += [f"note: {note}" for note in report["notes"]]
    return "\n".join(lines)
