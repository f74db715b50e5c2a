"""Estimate, on the logged history, what an edited router setting would have scored and cost.

Every policy route in the log records the probability with which the router picked its model. Re-scoring
the logged candidates under the edited setting and re-weighting the logged outcomes gives three off-policy
estimates (IPS, self-normalised IPS, doubly robust) of AvgPerf%, cost per task, total cost and Perf/$, each
with a bootstrap interval, next to today's setting and what the log actually shows. Manual overrides are
left out (counted). When too few routes support the edit (effective sample size below --min-ess), no
number is printed: the log cannot tell.

Examples:
  codex-router whatif --log sample_logs/routing_log.jsonl --set eps_cost=-0.3
  codex-router whatif --set exploration=0 --set prior.bug_fixing.gpt-5.4.score=0.8 --json
  codex-router whatif --set eps_cost=-0.5 --frontier
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from analytics import cli_options
from analytics.paths import default_db_path, default_log_path

_SET_HELP = ("change one knob, repeatable: eps_perf, eps_cost (weight of the relative log cost: +1 = twice "
             "the typical cost), exploration (0..1), k, threshold, or a prior cell "
             "prior.<dimension>.<model>.score|cost_usd (e.g. prior.bug_fixing.gpt-5.4.score=0.8)")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    cli_options.add_log(parser, repeatable=True)
    cli_options.add_db(parser)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="assignments",
                        help=_SET_HELP)
    parser.add_argument("--frontier", action="store_true",
                        help="also sweep eps_cost from -1 to 0 and print the estimated AvgPerf-vs-cost curve")
    parser.add_argument("--estimator", choices=("ips", "snips", "dr"), default="dr",
                        help="estimator for the frontier (default dr)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="bootstrap resamples for the intervals (default 1000)")
    parser.add_argument("--level", type=float, default=0.95, help="interval coverage (default 0.95)")
    parser.add_argument("--min-ess", type=float, default=30.0, metavar="N",
                        help="refuse estimates whose effective sample size is below N (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    cli_options.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from analytics.errors import CommandError
    from analytics.malformed import malformed_note
    from router import whatif
    from router.history import load_events
    from router.whatif_args import parse_assignments

    try:
        changes, prior_edits = parse_assignments(args.assignments)
    except whatif.WhatIfError as exc:
        raise CommandError(str(exc), 2) from None
    if args.bootstrap < 1:
        raise CommandError("--bootstrap: must be at least 1", 2)
    if not 0 < args.level < 1:
        raise CommandError("--level: must be between 0 and 1 (e.g. 0.95)", 2)
    if args.min_ess < 0:
        raise CommandError("--min-ess: must be >= 0", 2)
    paths = args.log or [default_log_path()]
    for path in paths:
        if not path.is_file():
            hint = "" if args.log else " (pass --log PATH, e.g. --log sample_logs/routing_log.jsonl)"
            raise CommandError(f"{path}: no such log file{hint}", 2)
    from analytics.store import StoreError

    try:
        events, malformed = load_events(paths, args.db or default_db_path(paths))
    except (StoreError, OSError) as exc:
        raise CommandError(str(exc)) from None
    sample = whatif.logged_sample(events)
    try:
        today, today_priors = whatif.current_state()
    except ValueError as exc:  # a damaged router.toml: StateError names the file
        raise CommandError(f"router state: {exc}") from None
    try:
        candidate = whatif.as_settings(changes, base=today)
        priors = None
        if prior_edits:  # an edit makes its cell, so even a fresh install without priors has a table to edit
            priors = whatif.edited_priors(today_priors, prior_edits)
        options = {"current_priors": today_priors if priors is not None else None, "level": args.level,
                   "seed": args.seed, "min_ess": args.min_ess, "sample": sample}
        report = whatif.estimate_setting(None, today, candidate, priors, n_boot=args.bootstrap, **options)
        curve = whatif.frontier(None, today, candidate, priors, estimator=args.estimator,
                                n_boot=min(args.bootstrap, 200), **options) if args.frontier else None
    except whatif.WhatIfError as exc:
        raise CommandError(str(exc), 2) from None
    out = report.to_dict()
    out["logs"] = [str(p) for p in paths]
    out["malformed_lines"] = malformed.height
    out["malformed_note"] = malformed_note(malformed.to_dicts())
    if curve is not None:
        out["frontier"] = curve.to_dict()
    if args.json:
        json.dump(out, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        _print_report(out)
    return 0


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if metric == "avg_perf":
        return f"{value:.2f}%"
    if metric in ("cost_per_task", "total_cost"):
        return f"${value:.4f}" if abs(value) < 10 else f"${value:,.2f}"
    return f"{value:.2f}"


def _cell(metric: str, est: dict[str, Any]) -> str:
    if est["value"] is None:
        return "—"
    return f"{_fmt(metric, est['value'])} [{_fmt(metric, est['low'])}, {_fmt(metric, est['high'])}]"


def _settings_line(settings: dict[str, Any]) -> str:
    return " ".join(f"{k}={settings[k]}" for k in ("eps_perf", "eps_cost", "exploration", "k", "threshold"))


def _support_line(sup: dict[str, Any]) -> str:
    line = (f"{sup['supported']}/{sup['routes']} routes with p>={sup['min_prob']:g} on the logged model, "
            f"ESS {sup['ess']:.1f} (min {sup['min_ess']:g}), max weight {sup['max_weight']:.1f}")
    return line + (f"  ** {sup['reason']}" if sup["reason"] else "")


def _print_report(out: dict[str, Any]) -> None:
    counts = out["counts"]
    left = ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in
                     ("manual", "no_outcome", "no_propensity", "inconsistent_propensity", "unscored", "unpriced",
                      "line_gone") if counts[k])
    print(f"What-if on {counts['used']} logged policy routes of {counts['route_events']} "
          f"({', '.join(out['logs'])})")
    if left:
        print(f"  left out: {left}")
    if out["malformed_note"]:
        print(f"  {out['malformed_note']}")
    print(f"  today:     {_settings_line(out['today']['settings'])}")
    print(f"  candidate: {_settings_line(out['candidate']['settings'])}")
    for edit in out["prior_edits"]:
        fields = ", ".join(f"{k}={edit[k]}" for k in ("score", "cost_usd") if edit[k] is not None)
        print(f"             prior {edit['context']} / {edit['model']}: {fields}")
    print(f"  cost unit of eps_cost: {out['candidate']['settings']['cost_unit']}")
    for warning in out["warnings"]:
        print(f"  warning: {warning}")
    print(f"  support today:     {_support_line(out['today']['support'])}")
    print(f"  support candidate: {_support_line(out['candidate']['support'])}")
    level = round(100 * out["level"])
    rows = [("metric", "logged", "today (DR)", "candidate IPS", "candidate SNIPS", "candidate DR")]
    names = {"avg_perf": "AvgPerf", "cost_per_task": "cost/task", "total_cost": "total cost",
             "perf_per_dollar": "Perf/$"}
    for metric, name in names.items():
        cand = out["candidate"]["estimates"]
        rows.append((name, _fmt(metric, out["observed"][metric]), _cell(metric, out["today"]["estimates"]["dr"][metric]),
                     _cell(metric, cand["ips"][metric]), _cell(metric, cand["snips"][metric]),
                     _cell(metric, cand["dr"][metric])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"\n{level}% bootstrap intervals ({out['n_boot']} resamples); total cost and Perf/$ over "
          f"{counts['used']} tasks")
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if "frontier" in out:
        curve = out["frontier"]
        print(f"\nFrontier ({curve['estimator'].upper()}): eps_cost -> AvgPerf, total cost")
        today = curve["today"]
        for point in curve["points"]:
            mark = "  <- edited" if point["eps_cost"] == curve["edited"]["eps_cost"] else ""
            print(f"  {point['eps_cost']:+.2f}  {_cell('avg_perf', point['avg_perf']):>28}  "
                  f"{_cell('total_cost', point['total_cost']):>30}{mark}")
        print(f"  today ({today['eps_cost']:+.2f}, unedited): {_cell('avg_perf', today['avg_perf'])}, "
              f"{_cell('total_cost', today['total_cost'])}")
