"""Generate `sample_logs/routing_log.jsonl`: a realistic two-week routing log for first start and for tests.

Why a generator and not a recorded log: nobody's real Codex history can be shipped, and the app needs a
history that looks like one (working hours, several projects, routes with propensities, outcomes, overrides,
hook events). Model behaviour is not invented: success rates, token counts, latencies and prices are read
from the public CodeRouterBench release (MIT) at generation time (``--data``, by default the shared copy
beside the repository), so the panels show the same model trade-offs the benchmark shows. Nothing of the
benchmark is stored in the repository; the generated log (simulated events) is committed, so a checkout
without the benchmark still has it.

The router in the log is the real ``ACRouter`` (starting from the benchmark's probing-split priors, as a
fresh install beside the benchmark does; exploration 0.1; no kNN memory so no embedding model is needed),
learning from each simulated outcome as the hooks make it learn; so today's router reproduces the logged
choice probabilities and the what-if estimates have support.

Deterministic: only ``random.Random(seed).random()`` is used (its output is guaranteed across Python
versions; the distribution helpers are not), so the committed file is exactly reproducible as long as the
router's policy does not change (a change there means: regenerate; a test compares when the benchmark is
there).

    python sample_logs/generate.py [--out PATH] [--data DIR] [--seed N] [--days 14] [--end 2026-11-27T18:00Z]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from analytics.atomicfile import atomic_write
from analytics.logwriter import encode_line
from analytics.schema import SCHEMA_PATH, SchemaError, normalize
from hooks.codex_config import profile_name
from hooks.launcher import LEARN_FROM
from router.dataset_readers import DatasetError
from router.datasets import find_coderouterbench
from router.features import TaskFeatures
from router.language import canonical_language
from router.policy import ACRouter
from router.settings import RouterSettings
from router.state import DEFAULT_MODELS as MODELS

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the workload beside this script
from sample_models import World  # noqa: E402
from sample_workload import PROJECT_WEIGHTS, PROJECTS, TEMPLATES, Project  # noqa: E402

# The router that wrote the log: ACRouter at its defaults but with exploration 0.1, so every model keeps a
# logged probability >= 0.1/8 and the what-if estimators have support for other settings.
EXPLORATION = 0.1
OVERRIDE_SHARE = 0.10
# A user overriding the router mostly reaches for a frontier model.
OVERRIDE_PICKS = (("claude-opus-4-6", 0.45), ("gpt-5.4", 0.3), ("claude-sonnet-4-6", 0.2), ("glm-5", 0.05))
# Difficulty moves the success rate; the shifts average to zero over the mix, so the rates above hold.
DIFFICULTY = (("easy", 0.3, 0.08, 0.7), ("medium", 0.4, 0.0, 1.0), ("hard", 0.3, -0.08, 1.5))
GRADED_SHARE = 0.25  # runs whose verifier gives a graded confidence instead of pass/fail
DEFAULT_END = "2026-11-27T18:00Z"
DEFAULT_SEED = 20261127
HOME = "/home/dev/projects"


class Rng:
    """Draws built on ``random.Random.random()`` only: that stream is stable across Python versions."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def u(self) -> float:
        return self._r.random()

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.u()

    def pick(self, seq):
        return seq[int(self.u() * len(seq))]

    def weighted(self, pairs):
        total = sum(w for _, w in pairs)
        x = self.u() * total
        for item, w in pairs:
            x -= w
            if x < 0:
                return item
        return pairs[-1][0]

    def normal(self) -> float:
        return math.sqrt(-2.0 * math.log(1.0 - self.u())) * math.cos(2.0 * math.pi * self.u())

    def lognormal_mean(self, mean: float, sigma: float) -> float:
        """Right-skewed spread around ``mean`` (the lognormal's mean, not its median)."""
        return mean * math.exp(sigma * self.normal() - sigma * sigma / 2)

    def hex(self, n: int) -> str:
        return "".join("0123456789abcdef"[int(self.u() * 16)] for _ in range(n))

    def uuid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{'89ab'[int(self.u() * 4)]}{h[17:20]}-{h[20:]}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Generator:
    """Walks the calendar, simulates the router and each run, and collects the records in time order."""

    def __init__(self, world: World, seed: int, end: datetime, days: int) -> None:
        self.world = world
        self.rng = Rng(seed)
        self.end = end
        self.days = days
        self.router = ACRouter(list(MODELS), world.priors, None, RouterSettings(exploration=EXPLORATION),
                               seed=seed)
        self.records: list[tuple[datetime, int, dict[str, Any]]] = []
        self.task_count = 0

    def emit(self, moment: datetime, record: dict[str, Any]) -> None:
        self.records.append((moment, len(self.records), record))

    # --- task text -----------------------------------------------------------------------------------
    def task(self, project: Project, dimension: str) -> tuple[str, str]:
        rng = self.rng
        template = rng.pick(TEMPLATES[dimension])
        other = rng.pick(project.slots["other"])
        values = {key: rng.pick(options) for key, options in project.slots.items()}
        values["other"] = other
        values["issue"] = str(100 + int(rng.u() * 800))
        text = template.format(**values)
        language = other if dimension == "multi_language" else project.language
        return text, canonical_language(language)

    # --- router --------------------------------------------------------------------------------------
    def decide(self, features: TaskFeatures) -> dict[str, Any]:
        """ACRouter's decision, its model sampled from its own probabilities with the generator's RNG."""
        decision = self.router.decide(features)
        probs = {c.model: c.prob for c in decision.candidates}
        chosen = self.rng.weighted(tuple((model, probs[model]) for model in MODELS))
        return dataclasses.replace(decision, chosen=chosen, propensity=probs[chosen]).to_log()

    # --- one routed task -----------------------------------------------------------------------------
    def _latency_ms(self, dimension: str, model: str, difficulty_factor: float) -> int:
        if dimension == "agentic":
            return int(self.rng.uniform(120_000, 840_000))
        median = self.world.median_latency_ms(dimension, model)
        return max(400, int(self.rng.lognormal_mean(median * difficulty_factor, 0.5)))

    def _score(self, rate: float) -> tuple[float, bool]:
        passed = self.rng.u() < rate
        if self.rng.u() < GRADED_SHARE:
            # A graded confidence pulled toward the rate keeps the mean at the rate.
            weight = self.rng.uniform(0.5, 1.0)
            return round(rate + ((1.0 if passed else 0.0) - rate) * weight, 3), True
        return (1.0 if passed else 0.0), False

    def _verifier(self, dimension: str, score: float, graded: bool, status: str) -> dict[str, Any]:
        rng = self.rng
        if status != "ok":
            return {"confidence": 0.0, "method": "none", "reason": status}
        if dimension == "code_understanding":
            return {"confidence": score, "method": "judge", "judge": score}
        total = 3 + int(rng.u() * 12)
        passed = total if score >= 1.0 else int(score * total) if graded else int(rng.u() * total)
        signals: dict[str, Any] = {"confidence": score, "method": "ast" if dimension == "code_refactoring"
                                   else "tests", "ast_ok": score > 0 or rng.u() < 0.8,
                                   "tests_passed": passed, "tests_total": total}
        if graded:
            signals["judge"] = round(min(1.0, max(0.0, score + rng.uniform(-0.15, 0.15))), 3)
        return signals

    def routed_task(self, start: datetime, project: Project) -> None:
        rng = self.rng
        self.task_count += 1
        task_id = f"t-{start:%Y%m%d}-{self.task_count:04d}"
        dimension = rng.weighted(tuple(project.mix.items()))
        text, language = self.task(project, dimension)
        difficulty, _, shift, factor = rng.weighted(tuple((d, d[1]) for d in DIFFICULTY))
        cwd = f"{HOME}/{project.name}"
        # The generator knows the task's kind, so the features are facts (confidence 1.0), as a user's
        # --dimension would be; no embedding, so the router has no neighbour vote.
        features = TaskFeatures(text, dimension, 1.0, language, 1.0, difficulty, 1.0,
                                sources=dict.fromkeys(("dimension", "language", "difficulty"), "metadata"))
        decision = self.decide(features)
        proposed = decision["chosen"]
        model, router, propensity = proposed, "acrouter", decision["propensity"]
        if rng.u() < OVERRIDE_SHARE:
            model = rng.weighted(tuple(pair for pair in OVERRIDE_PICKS if pair[0] != proposed))
            router, propensity = "manual", 1.0
            self.emit(start, {"v": 1, "ts": iso(start), "event": "override", "task_id": task_id,
                                  "model": model, "proposed_model": proposed, "router": "manual", "cwd": cwd})
        self.emit(start, {"v": 1, "ts": iso(start), "event": "route", "task_id": task_id, "task": text,
                          "dimension": dimension, "language": language, "difficulty": difficulty,
                          "model": model, "profile": profile_name(model), "router": router,
                          "propensity": propensity, "cwd": cwd, "decision": decision})

        profile = self.world.profiles[dimension, model]
        rate = min(1.0, max(0.0, profile.rate + shift))
        score, graded = self._score(rate)
        status, exit_code = "ok", 0
        if score == 0.0 and rng.u() < 0.12:
            status = rng.weighted((("turn_failed", 5), ("timeout", 2 if dimension == "agentic" else 0.3),
                                              ("interrupted", 1)))
            exit_code = 130 if status == "interrupted" else 1
        agentic = dimension == "agentic"
        input_tokens = max(20, int(rng.lognormal_mean(profile.input_tokens * factor, 0.6)))
        output_tokens = max(5, int(rng.lognormal_mean(profile.output_tokens * factor, 0.7)))
        tokens = {"input": input_tokens,
                  "cached_input": int(input_tokens * (rng.uniform(0.5, 0.85) if agentic else rng.uniform(0, 0.3))),
                  "output": output_tokens, "reasoning": int(output_tokens * rng.uniform(0.3, 0.8))}
        latency = self._latency_ms(dimension, model, factor)
        session_id, turn_id = rng.uuid(), rng.hex(8)
        finish = start + timedelta(milliseconds=latency)

        n_tools = int(rng.uniform(4, 11)) if agentic else int(rng.uniform(0, 6.5))
        for i in range(n_tools):
            moment = start + timedelta(milliseconds=latency * (i + rng.u()) / (n_tools + 1))
            tool = rng.weighted((("shell", 0.65), ("apply_patch", 0.3), ("update_plan", 0.05)))
            code = 0 if rng.u() > (0.18 if tool == "shell" else 0.04) else 1
            self.emit(moment, {"v": 1, "ts": iso(moment), "event": "tool", "tool": tool, "exit_code": code,
                               "session_id": session_id, "turn_id": turn_id, "model": model, "cwd": cwd,
                               "tool_use_id": f"call_{rng.hex(12)}"})
        if rng.u() < 0.05:
            self.emit(finish, {"v": 1, "ts": iso(finish), "event": "turn", "session_id": session_id,
                               "turn_id": turn_id, "model": model, "cwd": cwd, "source": "stop",
                               "status": status})
        cost = self.world.cost_usd(model, tokens)
        self.emit(finish, {"v": 1, "ts": iso(finish), "event": "outcome", "task_id": task_id, "model": model,
                           "dimension": dimension, "score": score,
                           "verifier": self._verifier(dimension, score, graded, status), "tokens": tokens,
                           "cost_usd": cost, "latency_ms": latency, "exit_code": exit_code, "cwd": cwd,
                           "session_id": session_id, "status": status})
        if status in LEARN_FROM:  # what the launcher learns from, overrides included
            self.router.update(features, model, score, cost, task_id=task_id)

    # --- the calendar --------------------------------------------------------------------------------
    def seed_records(self, day: datetime) -> None:
        """The seed article's hook ran before ours was installed: its records are minimal and naive-UTC."""
        models = ("unknown", "unknown", "gpt-5.4", "claude-sonnet-4-6", "unknown", "qwen3.5-plus")
        for i, model in enumerate(models):
            moment = day + timedelta(hours=8, minutes=5 + 7 * i, seconds=self.rng.uniform(0, 59))
            hint = "" if model == "unknown" else self.rng.pick(TEMPLATES["bug_fixing"][:3]).format(
                error="AssertionError in test_invoices", func="apply_discount", file="app/invoices.py",
                thing="invoice")
            record = {"timestamp": moment.replace(tzinfo=None).isoformat(), "model": model,
                      "tool": "" if model == "unknown" else "shell",
                      "exit_code": -1 if model == "unknown" else 0, "task_hint": hint[:200]}
            self.emit(moment, record)

    def run(self) -> list[dict[str, Any]]:
        rng = self.rng
        last_day = self.end.replace(hour=0, minute=0, second=0, microsecond=0)
        for offset in range(self.days - 1, -1, -1):
            day = last_day - timedelta(days=offset)
            if offset == self.days - 1:
                self.seed_records(day)
            opens = day + timedelta(hours=8, minutes=40)
            closes = min(day + timedelta(hours=17), self.end - timedelta(hours=1))
            if closes <= opens:
                continue
            weekday = day.weekday() < 5
            count = 40 + int(rng.u() * 20) if weekday else int(rng.u() * 12)
            span = (closes - opens).total_seconds()
            starts = []
            for _ in range(count):
                # Two bumps (morning, afternoon) with a lunch dip: the mean of two uniforms, per half-day.
                half = 0.0 if rng.u() < 0.45 else 0.5
                starts.append(opens + timedelta(seconds=span * (half + 0.5 * (rng.u() + rng.u()) / 2)))
            for start in sorted(starts):
                project = rng.weighted(tuple(zip(PROJECTS, PROJECT_WEIGHTS, strict=True)))
                self.routed_task(start, project)
        self.records.sort(key=lambda item: (item[0], item[1]))
        return [record for _, _, record in self.records]


def _validator():
    """The JSON Schema of one log line, when the repo has it (another module owns the file)."""
    if not SCHEMA_PATH.exists():
        return None
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def encode(record: dict[str, Any]) -> bytes:
    if "event" not in record:  # the seed's hook writes json.dumps() defaults, so do we for its records
        return (json.dumps(record) + "\n").encode("utf-8")
    return encode_line(record)


def validate(records: list[dict[str, Any]]) -> None:
    validator = _validator()
    for number, record in enumerate(records, start=1):
        try:
            normalize(json.loads(encode(record)))
        except SchemaError as exc:
            raise SchemaError(f"generated line {number}: {exc}") from exc
        if validator is not None:
            error = next(iter(validator.iter_errors(record)), None)
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path) or "(line)"
                raise SchemaError(f"generated line {number}: {where}: {error.message}")


def write_atomically(path: Path, records: list[dict[str, Any]]) -> None:
    atomic_write(path, b"".join(encode(record) for record in records), mode=0o644)


def parse_end(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date/time: {text!r}") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def generate(world: World, seed: int = DEFAULT_SEED, days: int = 14,
             end: datetime | None = None) -> list[dict[str, Any]]:
    """Every record of the sample log, in file order (validated)."""
    records = Generator(world, seed, end or parse_end(DEFAULT_END), days).run()
    validate(records)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="generate.py",
        description="Write a realistic, reproducible routing log (routes, outcomes, overrides, hook events) "
                    "whose model success rates, token counts and prices are CodeRouterBench figures.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().with_name("routing_log.jsonl"),
                        help="file to write (replaced atomically; default: the committed sample_logs file)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--days", type=positive_int, default=14, help="days of history ending at --end")
    parser.add_argument("--end", type=parse_end, default=parse_end(DEFAULT_END),
                        help=f"last moment of the log, UTC ISO 8601 (default {DEFAULT_END})")
    parser.add_argument("--data", type=Path, default=find_coderouterbench(),
                        help="CodeRouterBench folder the figures are read from (default: "
                             "../shared/data/coderouterbench beside the repository or the working directory)")
    parser.add_argument("--json", action="store_true", help="print a one-line JSON summary instead of text")
    parser.add_argument("--figures", action="store_true",
                        help="print the figures the log is drawn from (per dimension x model: success rate, mean "
                             "input/output tokens, median latency; prices) and write nothing")
    args = parser.parse_args(argv)
    if args.data is None:
        parser.error("no CodeRouterBench folder beside the repository: pass --data DIR")
    if args.figures:
        try:
            print(World.read(args.data).describe())
        except DatasetError as exc:
            print(f"generate.py: {exc}", file=sys.stderr)
            return 1
        return 0
    if not args.out.parent.is_dir():
        print(f"generate.py: --out {args.out}: folder {args.out.parent} does not exist", file=sys.stderr)
        return 1
    try:
        records = generate(World.read(args.data), args.seed, args.days, args.end)
        write_atomically(args.out, records)
    except (SchemaError, DatasetError, OSError) as exc:
        print(f"generate.py: {exc}", file=sys.stderr)
        return 1
    counts: dict[str, int] = {}
    for record in records:
        kind = record.get("event", "tool (seed format)")
        counts[kind] = counts.get(kind, 0) + 1
    summary = {"path": str(args.out), "events": len(records), "by_event": counts,
               "bytes": args.out.stat().st_size}
    print(json.dumps(summary) if args.json else
          f"wrote {len(records)} events to {args.out} ({', '.join(f'{k}: {v}' for k, v in counts.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
