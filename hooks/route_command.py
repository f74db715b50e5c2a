"""Classify a task, let the router pick a model (or take --model), run `codex exec` on it, verify, log, learn.

The decision and its explanation go to stdout (or one JSON object with --json); Codex's progress goes to
stderr as it happens. Exit code: Codex's own, 2 for usage errors, 124 timeout, 127 codex missing,
130 interrupted. The task reaches Codex verbatim as one argument, never through a shell.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task", metavar="TASK",
                        help="the task text as one argument (quote it; put -- before a task that starts with '-'); "
                             "'-' reads it from stdin")
    parser.add_argument("--dry-run", action="store_true", help="decide and log the route, do not start codex")
    parser.add_argument("--model", "-m", metavar="M", help="manual override: use this model (logged as one)")
    parser.add_argument("--cd", "-C", metavar="DIR", default=".", help="the repository codex works in (default: .)")
    parser.add_argument("--interactive", action="store_true",
                        help="open the Codex TUI with the chosen model; verified when the session ends")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="stop codex exec after this long (default: route.timeout_s in codex.toml, 1800)")
    parser.add_argument("--log", type=Path, metavar="PATH", help="routing log to append to")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def _progress(kind: str, message: str) -> None:
    print(f"[{kind}] {message}", file=sys.stderr, flush=True)


def _explain(decision, chosen: str, manual: bool) -> list[str]:
    lines = [f"model: {chosen}" + (f"  (manual override; router proposed {decision.chosen})" if manual else "")]
    features = decision.features
    lines.append(f"task: dimension={features.get('dimension')} ({features.get('dimension_confidence')}), "
                 f"language={features.get('language')}, difficulty={features.get('difficulty')}")
    lines.append(f"why: {decision.summary()}")
    lines.append("candidates (expected score, cost, reward, probability; votes):")
    for cand in sorted(decision.candidates, key=lambda c: -c.reward):
        cost = "unpriced" if cand.exp_cost_usd is None else f"${cand.exp_cost_usd:.4f}"
        votes = ", ".join(f"{name} {vote.score:.2f}(n={vote.n})" for name, vote in cand.votes.items())
        lines.append(f"  {cand.model:<28} {cand.exp_score:.3f}  {cost:>10}  {cand.reward:+.3f}  p={cand.prob:.3f}"
                     f"  [{votes}]")
    for nb in decision.neighbours[:3]:
        lines.append(f"  neighbour {nb.similarity:.2f}: {nb.model} scored {nb.score:.2f}")
    return lines


def _unknown_model(model: str, models: list[str]) -> str:
    import difflib

    from analytics.paths import config_dir

    close = difflib.get_close_matches(model, models, n=1, cutoff=0.6)
    hint = f"Did you mean {close[0]}? " if close else ""
    return (f"--model {model}: not a routed model. {hint}Choose one of: {', '.join(models)} "
            f"(the list is `models` in {config_dir() / 'router.toml'})")


def run(args: argparse.Namespace) -> int:
    from hooks.cli import CommandError
    from hooks.launcher import RouteLauncher
    from hooks.settings import HooksSettings, SettingsError

    task = sys.stdin.read() if args.task == "-" and not sys.stdin.isatty() else args.task
    if not task.strip():
        raise CommandError("TASK is empty", 2)
    if args.timeout is not None and args.timeout <= 0:
        raise CommandError("--timeout must be positive", 2)
    if not Path(args.cd).expanduser().is_dir():
        raise CommandError(f"--cd {args.cd}: not a directory", 2)
    try:
        settings = HooksSettings.load()
    except SettingsError as exc:
        raise CommandError(str(exc), 2) from exc
    from analytics.prices import PriceFileError
    from router.state import StateError

    launcher = RouteLauncher(args.log, settings=settings)
    try:
        if args.model is not None and args.model not in launcher.state.models:
            raise CommandError(_unknown_model(args.model, launcher.state.models), 2)
        result = launcher.run(task, model=args.model, cwd=args.cd, dry_run=args.dry_run,
                              interactive=args.interactive, on_progress=_progress, timeout_s=args.timeout)
    except (StateError, PriceFileError) as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        print(json.dumps({"task_id": result.task_id, "model": result.model, "router": result.router,
                          "proposed_model": result.proposed_model, "status": result.status,
                          "exit_code": result.exit_code, "score": result.score, "cost_usd": result.cost_usd,
                          "tokens": result.tokens, "latency_ms": result.latency_ms, "session_id": result.session_id,
                          "message": result.message, "decision": result.decision.to_log(),
                          "events": [e["event"] for e in result.events]}, default=str))
    else:
        print("\n".join(_explain(result.decision, result.model, result.router == "manual")))
        if result.status != "dry_run":
            cost = "unpriced" if result.cost_usd is None else f"${result.cost_usd:.4f}"
            score = "n/a" if result.score is None else f"{result.score:.3f}"
            print(f"outcome: {result.status}  score={score}  cost={cost}  tokens={result.tokens}  "
                  f"latency={result.latency_ms} ms")
        print(f"logged: {', '.join(e['event'] for e in result.events)} -> {launcher.log_path}")
    if result.status not in ("ok", "dry_run"):
        print(f"codex-router route: {result.message}", file=sys.stderr)
    return result.exit_code
