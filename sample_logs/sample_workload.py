"""The simulated work in the sample log: five projects (language, task mix, their files and names) and the task
templates per dimension that ``generate.py`` fills from them.

Why its own module: this is data a reader edits to change what the log talks about; the generator's
mechanics (time, routing, outcomes, hook events) do not change with it.
"""

from __future__ import annotations

from dataclasses import dataclass


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
