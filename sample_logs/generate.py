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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from analytics.atomicfile import atomic_write
from analytics.logwriter import encode_line
from analytics.schema import SCHEMA_PATH, SchemaError, normalize
from hooks.codex_config import profile_name
from hooks.launcher import LEARN_FROM
from router.coderouterbench_costs import coderouterbench_prices, coderouterbench_profiles
from router.dataset_readers import DatasetError
from router.datasets import find_coderouterbench
from router.dimension_classifier import DIMENSIONS
from router.features import TaskFeatures
from router.language import canonical_language
from router.policy import ACRouter
from router.priors import Priors
from router.settings import RouterSettings
from router.state import DEFAULT_MODELS as MODELS
from router.state import probing_priors

# Cached input tokens are billed at 10% of the input price (our assumption: the usual prompt-cache read
# discount; the benchmark logs no cached tokens).
CACHED_PRICE_SHARE = 0.10


@dataclass(frozen=True)
class Profile:
    """How one model behaves on one dimension in CodeRouterBench (``coderouterbench_costs.coderouterbench_profiles``)."""

    rate: float  # success rate = mean score
    input_tokens: int
    output_tokens: int
    latency_ms: int | None  # median; None = not measured


@dataclass(frozen=True)
class World:
    """The simulated models, read from a CodeRouterBench folder: prices (models.json), behaviour per dimension
    (ID results for nine dimensions, OOD176 for ``agentic``) and the probing split's priors, which the router
    in the log starts from (what a fresh install there routes with)."""

    prices: dict[str, tuple[float, float]]
    profiles: dict[tuple[str, str], Profile]
    priors: Priors

    @classmethod
    def read(cls, data: Path) -> World:
        frame = coderouterbench_profiles(data)
        profiles = {(row["dimension"], row["model"]): Profile(
            round(row["score"], 3), round(row["input_tokens"]), round(row["output_tokens"]),
            None if row["latency_ms"] is None else int(row["latency_ms"])) for row in frame.iter_rows(named=True)}
        prices = coderouterbench_prices(data)
        missing = [f"{d} x {m}" for d in DIMENSIONS for m in MODELS if (d, m) not in profiles] + [
            f"price of {m}" for m in MODELS if m not in prices]
        if missing:
            raise DatasetError(f"{data}: no figures for {', '.join(missing[:5])}"
                               + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
        priors = probing_priors(data)
        priors.origin = "the CodeRouterBench probing split"  # not this machine's path: the log is committed
        return cls(prices, profiles, priors)

    def describe(self) -> str:
        """The figures as a text table, one line per dimension x model, then the prices."""
        lines = [f"{'dimension':<20}{'model':<20}{'rate':>7}{'in tok':>9}{'out tok':>9}{'latency ms':>12}"]
        lines += [f"{d:<20}{m:<20}{p.rate:>7.3f}{p.input_tokens:>9}{p.output_tokens:>9}{p.latency_ms or '-':>12}"
                  for d in DIMENSIONS for m in MODELS for p in [self.profiles[d, m]]]
        lines += ["", f"{'model':<20}{'input $/1M':>11}{'output $/1M':>12}{'cached $/1M':>12}"]
        lines += [f"{m:<20}{i:>11g}{o:>12g}{i * CACHED_PRICE_SHARE:>12g}" for m, (i, o) in self.prices.items()]
        return "\n".join(lines)

    def cost_usd(self, model: str, tokens: dict[str, int]) -> float:
        p_in, p_out = self.prices[model]
        fresh = tokens["input"] - tokens["cached_input"]
        usd = (fresh * p_in + tokens["cached_input"] * p_in * CACHED_PRICE_SHARE + tokens["output"] * p_out) / 1e6
        return round(usd, 6)

    def median_latency_ms(self, dimension: str, model: str) -> int:
        """The measured median, else the model's median over the dimensions where it was measured."""
        measured = self.profiles[dimension, model].latency_ms
        if measured is not None:
            return measured
        others = sorted(p.latency_ms for (_, m), p in self.profiles.items() if m == model and p.latency_ms is not None)
        return others[len(others) // 2]


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


@dataclass(frozen=True)
class Project:
    name: str
    language: str
    mix: dict[str, float]  # dimension weights
    slots: dict[str, tuple[str, ...]]


_COMMON_MIX = {"code_generation": 14, "algorithm": 5, "bug_fixing": 18, "code_completion": 9,
               "code_refactoring": 13, "data_science": 2, "multi_language": 5, "code_understanding": 12,
               "test_generation": 14, "agentic": 6}

PROJECTS = (
    Project("billing-api", "python", _COMMON_MIX, {
        "file": ("app/invoices.py", "app/payments/stripe_client.py", "app/models/customer.py", "app/tax.py",
                 "app/api/routes.py", "app/utils/retry.py", "app/ledger/reconcile.py"),
        "func": ("compute_proration", "apply_discount", "parse_webhook", "reconcile_ledger",
                 "next_billing_date", "round_currency", "refund_payment"),
        "cls": ("InvoiceService", "LedgerEntry", "WebhookHandler", "TaxCalculator", "RetryPolicy"),
        "test": ("pytest",), "lib": ("SQLAlchemy", "pydantic", "FastAPI", "httpx"),
        "thing": ("invoice", "refund", "subscription", "customer", "payment intent"),
        "error": ("KeyError: 'currency'", "IntegrityError: duplicate key value violates unique constraint "
                  "\"invoices_number_key\"", "decimal.InvalidOperation in round_currency",
                  "422 from /v1/refunds when amount is 0", "TypeError: can't compare offset-naive and "
                  "offset-aware datetimes"),
        "other": ("go", "typescript", "rust", "java"),
    }),
    Project("web-dashboard", "typescript", {**_COMMON_MIX, "code_completion": 14, "algorithm": 2}, {
        "file": ("src/components/UsageChart.tsx", "src/hooks/useSession.ts", "src/api/client.ts",
                 "src/utils/formatDate.ts", "src/store/filters.ts", "src/pages/Billing.tsx"),
        "func": ("formatCurrency", "useDebouncedValue", "buildQueryString", "groupByWeek", "parseCsvExport",
                 "mergeFilters"),
        "cls": ("ApiClient", "FilterStore", "ChartLegend", "SessionProvider"),
        "test": ("vitest",), "lib": ("React Query", "zod", "zustand", "date-fns"),
        "thing": ("date range picker", "usage table", "invoice list", "settings form", "chart tooltip"),
        "error": ("TypeError: Cannot read properties of undefined (reading 'map')",
                  "hydration mismatch in UsageChart", "infinite re-render loop in useSession",
                  "Type 'string | undefined' is not assignable to type 'string'",
                  "stale data after logout"),
        "other": ("python", "go", "rust", "kotlin"),
    }),
    Project("edge-proxy", "go", {**_COMMON_MIX, "algorithm": 9, "agentic": 8}, {
        "file": ("internal/ratelimit/bucket.go", "internal/proxy/handler.go", "cmd/edge/main.go",
                 "internal/config/load.go", "internal/cache/lru.go", "internal/health/probe.go"),
        "func": ("Allow", "ServeHTTP", "parseUpstreams", "Evict", "hashKey", "pickBackend"),
        "cls": ("TokenBucket", "Upstream", "LRUCache", "HealthProber"),
        "test": ("go test",), "lib": ("net/http", "zap", "prometheus client_golang", "x/sync/errgroup"),
        "thing": ("upstream pool", "rate limiter", "TLS reload", "retry budget", "health check"),
        "error": ("data race in TokenBucket.Allow", "panic: assignment to entry in nil map",
                  "context deadline exceeded on slow upstreams", "goroutine leak in HealthProber",
                  "502s after config reload"),
        "other": ("rust", "python", "c++", "java"),
    }),
    Project("ml-forecast", "python", {**_COMMON_MIX, "data_science": 26, "code_completion": 5,
                                      "agentic": 4}, {
        "file": ("forecast/features.py", "forecast/train.py", "forecast/io.py", "forecast/metrics.py",
                 "forecast/backtest.py", "notebooks/eda.ipynb"),
        "func": ("add_lag_features", "rolling_mape", "load_sales", "resample_daily",
                 "split_by_date", "fit_baseline"),
        "cls": ("FeatureBuilder", "Backtester", "SalesLoader"),
        "test": ("pytest",), "lib": ("pandas", "polars", "scikit-learn", "numpy", "statsmodels"),
        "thing": ("sales_daily table", "store_meta join", "holiday calendar", "weekly seasonality",
                  "promo flag"),
        "error": ("ValueError: Input contains NaN", "SettingWithCopyWarning in add_lag_features",
                  "shape mismatch (365,) vs (364,)", "KeyError: 'store_id' after merge",
                  "MAPE is inf for zero-sales days"),
        "other": ("r", "sql", "julia", "rust"),
    }),
    Project("cli-tools", "rust", {**_COMMON_MIX, "multi_language": 9}, {
        "file": ("src/main.rs", "src/config.rs", "src/commands/sync.rs", "src/fs_walk.rs",
                 "src/output/table.rs"),
        "func": ("parse_args", "walk_dir", "render_table", "load_config", "diff_trees"),
        "cls": ("Config", "SyncPlan", "TableRenderer", "Walker"),
        "test": ("cargo test",), "lib": ("clap", "serde", "anyhow", "tokio", "walkdir"),
        "thing": ("--dry-run flag", "progress bar", "config file", "ignore rules", "JSON output"),
        "error": ("borrowed value does not live long enough in walk_dir", "unwrap on None in load_config",
                  "sync deletes files listed in .syncignore", "table columns misaligned with wide chars",
                  "panic when HOME is unset"),
        "other": ("go", "python", "c", "typescript"),
    }),
)
PROJECT_WEIGHTS = (0.3, 0.22, 0.18, 0.17, 0.13)

TEMPLATES: dict[str, tuple[str, ...]] = {
    "code_generation": (
        "add a {func} helper in {file} that handles the {thing} case",
        "implement {cls}.{func} and wire it into {file}",
        "write a function that validates a {thing} before saving it, put it in {file}",
        "create a new endpoint for {thing} export (CSV) using {lib}",
        "generate a small module for parsing {thing} payloads with {lib}",
        "add pagination to the {thing} listing in {file}",
        "implement caching for {func} with a TTL of 5 minutes",
        "write {cls} from scratch: constructor, load(), save(), and a __repr__-style debug output",
        "add a --verbose option that logs every {thing} we touch",
        "implement retry with exponential backoff around {func} in {file}",
        "add a feature flag to disable the {thing} sync",
    ),
    "algorithm": (
        "{func} is O(n^2) on big inputs, rewrite it to be O(n log n)",
        "implement an interval merge for overlapping {thing} windows in {file}",
        "write a topological sort for the {thing} dependency graph, detect cycles",
        "implement a sliding-window rate counter used by {cls}",
        "find the k most frequent {thing} ids in a stream without storing all of them",
        "implement consistent hashing for {func}",
        "dedupe near-identical {thing} records (edit distance <= 2) efficiently",
        "write a binary search over sorted timestamps in {func} instead of the linear scan",
        "implement an LRU eviction policy in {cls} with O(1) get/put",
        "compute the shortest retry schedule that fits in the budget, see {func}",
    ),
    "bug_fixing": (
        "fix: {error}",
        "{func} returns the wrong value when the {thing} is empty, fix it and add a regression test",
        "tests in {file} fail intermittently with {error}",
        "users report {error} after the last deploy, find the cause in {file}",
        "{cls} double-counts {thing}s when called twice, fix",
        "off-by-one in {func}: last {thing} is dropped",
        "fix the timezone bug in {func}, dates near midnight UTC are wrong",
        "CI is red: {error}. fix without changing the public API",
        "{func} leaks file handles, fix it",
        "the {thing} cache in {cls} is never invalidated, fix it",
        "null handling bug in {file}: {error}",
    ),
    "code_completion": (
        "finish the TODO in {func} ({file})",
        "complete the match/switch in {func} for the remaining {thing} states",
        "fill in the missing branches of {cls}.{func}",
        "complete the type definitions for the {thing} payload in {file}",
        "finish {func}: the signature and docstring are there, body is missing",
        "complete the error handling in {file} (the except/catch blocks are empty)",
        "write the rest of the {lib} config in {file}",
        "finish the migration for the {thing} table",
        "complete the builder methods on {cls}",
        "finish the half-written {func} so the existing tests pass",
    ),
    "code_refactoring": (
        "refactor {file}: split {cls} into smaller pieces, no behaviour change",
        "extract the {thing} validation out of {func} into its own function",
        "replace the nested ifs in {func} with early returns",
        "remove the duplicated {thing} parsing between {file} and {func}",
        "rename {func} to something clearer and update all call sites",
        "move {cls} to its own module and fix imports",
        "convert the callbacks in {file} to async/await",
        "make {cls} immutable and update the callers",
        "replace the hand-rolled retry loop in {func} with {lib}",
        "clean up {file}: dead code, long functions, magic numbers",
        "introduce a small interface so {cls} can be mocked in tests",
    ),
    "data_science": (
        "add lag and rolling-mean features for the {thing} in {func}",
        "compute weekly MAPE per store with {lib} and plot the worst 10",
        "the backtest in {file} leaks future data, fix the split in {func}",
        "load the {thing} from parquet with {lib} and resample to daily",
        "write a groupby that gives the median basket size per store per month",
        "impute missing values in the {thing} column, forward fill within each store",
        "train a gradient boosting baseline and report MAE vs the naive forecast",
        "pivot the {thing} data to wide format and join store metadata",
        "detect outliers in daily sales with a rolling z-score and flag them",
        "vectorise {func}, the apply() over rows is too slow",
    ),
    "multi_language": (
        "port {func} from {file} to {other}",
        "write the {other} client for our {thing} API, same behaviour as {file}",
        "translate {cls} to {other}, keep the tests equivalent",
        "we need {func} in {other} for the mobile team, port it",
        "rewrite the {thing} parser in {other} (it's the hot path)",
        "add {other} bindings for {func}",
        "port the {thing} validation rules to {other} so both sides agree",
        "convert the {file} script to {other}",
        "implement the same checksum as {func} in {other}",
        "write a {other} version of {cls} with the same public methods",
    ),
    "code_understanding": (
        "explain what {func} in {file} does and why it needs the lock",
        "what happens when a {thing} fails halfway through {func}?",
        "walk me through how {cls} is initialised",
        "where is the {thing} state mutated? list every call site",
        "why does {file} import {lib} twice?",
        "summarise the control flow of {func} for the PR description",
        "is {func} thread-safe? explain",
        "what would break if I removed {cls}?",
        "explain the {thing} lifecycle in this codebase",
        "review {file} and point out anything suspicious",
    ),
    "test_generation": (
        "write {test} tests for {func}, cover the edge cases",
        "add unit tests for {cls}, mock the network",
        "write a regression test for: {error}",
        "add property-based tests for {func}",
        "increase coverage of {file} to above 90%",
        "write table-driven tests for {func} with empty, single and many {thing}s",
        "add an integration test for the {thing} flow end to end",
        "write tests that pin the current behaviour of {cls} before the refactor",
        "add tests for the error paths in {file}",
        "write a fuzz test for the {thing} parser",
    ),
    "agentic": (
        "implement {thing} support across the codebase: model, API, tests, docs",
        "migrate from {lib} to its new major version, fix everything that breaks",
        "investigate and fix {error}; it only happens under load, add a test that reproduces it",
        "add structured logging to every {thing} code path and update the tests",
        "set up CI for the repo: lint, tests, and a release job",
        "upgrade the project to the new config format and migrate existing {thing} files",
        "implement the {thing} feature from issue #{issue}, follow the existing patterns",
        "find and fix all the flaky tests in the suite",
        "make the whole {thing} pipeline idempotent, with tests",
        "resolve issue #{issue}: {error}",
    ),
}

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
