"""ACRouter's user-editable knobs, validated in one place so a bad value is refused with the field's name.

The reward is r = eps_perf * s + eps_cost * kappa, where s is the expected score in [0, 1] and kappa the
*relative log cost* (``COST_UNIT``): 0.1 x log2 of the model's expected cost over the geometric mean of the
candidates' expected costs. Raw USD would make eps_cost meaningless, because a coding task costs from a
fraction of a cent to a dollar depending on its kind; a relative unit means the same eps_cost gives the same
trade-off for a $0.002 completion and a $1 agentic fix. The 0.1 scale was chosen on CodeRouterBench's probing
split (train -> val). An absolute unit ($0.10 per task) was tried too: it made the router cost-blind on
single-shot tasks and unstable on agentic ones (see the closing note of the router issue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from analytics.errors import CodexRouterError
from analytics.numbers import is_finite, is_integer

COST_LOG_SCALE = 0.1
COST_UNIT = ("kappa = 0.1 x log2(expected cost / geometric mean of the candidates' expected costs): "
             "+0.1 per doubling, so at eps_cost = -0.1 a model twice as dear must score 0.01 higher")
# What one step of the eps_cost knob means (the sweep's grid doubles |eps_cost| per step), for the Router screen.
KNOB_STEP = ("one step of eps_cost (doubling it, e.g. -0.1 -> -0.2) doubles the score a model must gain per "
             "doubling of its cost: from 0.01 to 0.02 (1 to 2 points of AvgPerf), on a $0.002 completion as on "
             "a $1 agentic fix")


def kappa(cost_usd: Any, reference_usd: Any) -> Any:
    """The reward's cost term, for one cost (a float back) or arrays of them (the baselines' vectorised rewards).

    An unknown (None/NaN) or non-positive cost or reference counts as 0.
    """
    cost = np.asarray(cost_usd, dtype=float)
    reference = np.asarray(reference_usd, dtype=float)
    ok = (cost > 0) & (reference > 0)
    out = np.where(ok, COST_LOG_SCALE * np.log2(np.where(ok, cost, 1.0) / np.where(ok, reference, 1.0)), 0.0)
    return float(out) if out.ndim == 0 else out


DEFAULT_PRIOR_KEYS = ("source", "bench", "repo")
FLOAT_FIELDS = ("eps_perf", "eps_cost", "threshold", "exploration", "optimism", "prior_strength", "prior_weight_cap",
                "regime_z", "regime_strength")


class SettingsError(CodexRouterError, ValueError):
    """A setting with a bad value; the message names the field (and the file when there is one)."""


@dataclass
class RouterSettings:
    """Every number the policy uses; defaults were chosen on CodeRouterBench's probing split only.

    ``prior_strength``: pseudo-count by which a finer prior level (source, repo) is shrunk toward its parent,
    used as given when ``empirical_bayes`` is off or the table has too few contexts to estimate one.
    ``empirical_bayes`` (off by default): estimate that pseudo-count from the priors' own between-context
    variance. Off since the generalisation protocol (docs/router.md, probing split only): on its synthetic
    25-model fold (150 probe tasks, metadata only) the moment estimate cannot tell the model x context spread
    from noise, caps the pseudo-count at 1000 and so ignores every context (lift +0.01 point at eps_cost -0.1,
    against +2.26 with the fixed prior_strength); on its leave-one-source-out folds the two are alike (mean lift
    7.32 on, 7.3-7.7 per fold off). The older proxy below favoured it; the protocol is the one that decides now.
    On the full probing split the estimate is about 15 (once a context's common offset is removed, models
    rank alike).
    ``regime_z``: a context whose log-cost offset from its parent exceeds ``regime_z`` times the spread of
    such offsets among known contexts is a new regime (3: the usual three-sigma outlier rule), where the
    parent's scores count for ``regime_strength`` observations (1: a unit-information prior) and the cost
    scale is taken from the context's own outcomes. Always on with empirical_bayes; ``detect_regimes`` turns
    it on with empirical_bayes off (the detector needs only the spread of cost offsets, not the estimated
    pseudo-count). Off by default: on OOD176 it brings the default from 67.05 % at $128.24 to 59.66 % at
    $23.87, which meets the `ood` cost bound but not its 63 % and takes `ood-meta`'s lift below 0
    (docs/router.md, "Cost shift"); the probing protocol's cost-shift folds favour it only slightly.
    On the proxy below (seeds 0/1/2) empirical Bayes + regimes reach a reward per task of 0.347/0.331/0.347,
    against 0.334/0.327/0.338 with the fixed prior_strength and 0.330/0.321/0.323 without regimes.
    ``regime_pool``: in a new regime, also consider the other contexts already seen in that regime as its
    parent, weighted by how well they predict its outcomes (``router.priors``). Chosen on the same proxy with
    ``--chain 2/3/4`` (several held-out contexts replayed in a row, seeds 0-4): reward per task 0.4364 / 0.4343
    / 0.4291 with it against 0.4368 / 0.4337 / 0.4314 without: a wash where the probing split's rankings keep
    holding (its premise is false there). On by default because it adds no tuned constant and agentic work is
    where rankings stop holding; the router issue's closing note gives its effect on held-out agentic tasks.
    ``prior_weight_cap``: the most observations a population prior may count for when voting against
    nearest neighbours (a population mean is not worth 1,000 similar tasks).
    ``optimism``: UCB-style bonus ``optimism * sqrt(ln(1 + N) / (1 + n))`` on the reward of a model with
    ``n`` of the ``N`` observations in the task's finest observed context, so an unfamiliar kind of task gets
    each plausible model tried. 0.05 was chosen on a probing-only proxy (``benchmarks/acrouter_proxy.py``):
    each (dimension, source) of the probing split with >= 50 tasks held out in turn, the router fitted on the
    rest, 150 held-out tasks replayed with every cost x50 (an agentic-scale shift). Mean reward per task over
    20 contexts, seeds 0/1/2: optimism 0 -> 0.333/0.318/0.342, 0.05 -> 0.347/0.331/0.347,
    0.1 -> 0.344/0.335/0.328, 0.2 -> 0.337/0.336/0.333.
    ``exploration``: probability mass spread uniformly over all models (logged as the propensity).
    """

    eps_perf: float = 1.0
    eps_cost: float = -0.1
    k: int = 10
    threshold: float = 0.5
    memory_size: int = 20000
    exploration: float = 0.0
    optimism: float = 0.05
    prior_strength: float = 10.0
    prior_weight_cap: float = 20.0
    empirical_bayes: bool = False
    regime_z: float = 3.0
    regime_strength: float = 1.0
    regime_pool: bool = True
    detect_regimes: bool = False
    prior_keys: tuple[str, ...] = field(default=DEFAULT_PRIOR_KEYS)

    cost_unit: str = field(default=COST_UNIT, init=False)

    def __post_init__(self) -> None:
        self.prior_keys = tuple(self.prior_keys)
        self.validate()

    def validate(self) -> None:
        def need(ok: bool, name: str, what: str) -> None:
            if not ok:
                raise SettingsError(f"setting '{name}' = {getattr(self, name)!r}: {what}")

        for name in FLOAT_FIELDS:
            value = getattr(self, name)
            need(is_finite(value),
                 name, "must be a finite number")
        for name in ("k", "memory_size"):
            value = getattr(self, name)
            need(is_integer(value), name, "must be an integer")
        need(self.k >= 1, "k", "must be at least 1")
        need(self.memory_size >= 1, "memory_size", "must be at least 1")
        need(-1.0 <= self.threshold <= 1.0, "threshold", "a cosine similarity, between -1 and 1")
        need(0.0 <= self.exploration <= 1.0, "exploration", "a probability, between 0 and 1")
        need(self.optimism >= 0, "optimism", "must be >= 0")
        need(self.prior_strength >= 0, "prior_strength", "must be >= 0")
        need(self.prior_weight_cap > 0, "prior_weight_cap", "must be > 0")
        need(isinstance(self.empirical_bayes, bool), "empirical_bayes", "must be true or false")
        need(isinstance(self.regime_pool, bool), "regime_pool", "must be true or false")
        need(isinstance(self.detect_regimes, bool), "detect_regimes", "must be true or false")
        need(self.regime_z > 0, "regime_z", "must be > 0")
        need(self.regime_strength > 0, "regime_strength", "must be > 0")
        need(all(isinstance(k, str) and k for k in self.prior_keys), "prior_keys",
             "must be a list of metadata key names")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for TOML and the log (``cost_unit`` included: it is shown next to eps_cost)."""
        out = asdict(self)
        out["prior_keys"] = list(self.prior_keys)
        return out

    def to_log(self) -> dict[str, Any]:
        """The subset a `route` event records, enough to re-score a decision later."""
        return {name: getattr(self, name) for name in
                ("eps_perf", "eps_cost", "cost_unit", "k", "threshold", "exploration", "optimism",
                 "prior_weight_cap")}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "settings") -> RouterSettings:
        """Build from a TOML table or a logged settings dict; unknown keys are refused, ``cost_unit`` ignored."""
        known = {f.name for f in fields(cls) if f.init}
        unknown = sorted(set(data) - known - {"cost_unit"})
        if unknown:
            raise SettingsError(f"{source}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = {key: value for key, value in data.items() if key in known}
        if "prior_keys" in values and not isinstance(values["prior_keys"], list | tuple):
            raise SettingsError(f"{source}: setting 'prior_keys' must be a list of strings")
        for name in FLOAT_FIELDS:
            if is_integer(values.get(name)):
                values[name] = float(values[name])
        try:
            return cls(**values)
        except SettingsError as exc:
            raise SettingsError(f"{source}: {exc}") from None

    def replace(self, **changes: Any) -> RouterSettings:
        """A validated copy with some fields changed (what the settings screen calls)."""
        return RouterSettings.from_mapping({**self.to_dict(), **changes})
