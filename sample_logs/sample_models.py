"""The simulated models in the sample log, read from a CodeRouterBench folder: prices and behaviour per dimension.

Why its own module: what the models are (figures from the public benchmark, nothing invented) is apart from
how the generator lays out two weeks of work with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analytics.metrics import token_cost
from router.coderouterbench_costs import coderouterbench_prices, coderouterbench_profiles
from router.dataset_readers import DatasetError
from router.dimension_classifier import DIMENSIONS
from router.priors import Priors
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
        usd = token_cost(tokens["input"], tokens["cached_input"], tokens["output"], 0, input_rate=p_in,
                         cached_rate=p_in * CACHED_PRICE_SHARE, output_rate=p_out, cache_write_rate=None)
        return round(usd, 6)

    def median_latency_ms(self, dimension: str, model: str) -> int:
        """The measured median, else the model's median over the dimensions where it was measured."""
        measured = self.profiles[dimension, model].latency_ms
        if measured is not None:
            return measured
        others = sorted(p.latency_ms for (_, m), p in self.profiles.items() if m == model and p.latency_ms is not None)
        return others[len(others) // 2]
