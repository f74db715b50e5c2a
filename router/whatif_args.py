"""`--set KEY=VALUE` for what-if: the router knobs and prior cells a user may change, read and checked.

Why its own module: parsing the command line's edits is apart from estimating them (``router.whatif``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from router.logged_routes import WhatIfError
from router.settings import RouterSettings, SettingsError

SETTING_KEYS = ("eps_perf", "eps_cost", "k", "threshold", "exploration")
PRIOR_FIELDS = {"score": "score", "cost_usd": "cost_usd", "cost": "cost_usd"}


def parse_assignments(items: Sequence[str]) -> tuple[dict[str, Any], dict[tuple[str, str], dict[str, float]]]:
    """``["eps_cost=-0.3", "prior.bug_fixing.gpt-5.4.score=0.8"]`` -> (setting changes, prior edits).

    Model names may contain dots (``gpt-5.4``), so a prior key is ``prior.<dimension>.<model>.<field>``
    with the dimension the first segment and the field the last.
    """
    changes: dict[str, Any] = {}
    priors: dict[tuple[str, str], dict[str, float]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key or not text:
            raise WhatIfError(f"--set {item!r}: expected KEY=VALUE")
        if key.startswith("prior."):
            rest = key[len("prior."):]
            dimension, _, tail = rest.partition(".")
            model, _, fld = tail.rpartition(".")
            if not dimension or not model or fld not in PRIOR_FIELDS:
                raise WhatIfError(f"--set {item!r}: prior keys look like prior.<dimension>.<model>.score "
                                  "or prior.<dimension>.<model>.cost_usd")
            value = _number(item, text)
            if PRIOR_FIELDS[fld] == "score" and not 0.0 <= value <= 1.0:
                raise WhatIfError(f"--set {item!r}: a prior score is in [0, 1]")
            if PRIOR_FIELDS[fld] == "cost_usd" and value < 0:
                raise WhatIfError(f"--set {item!r}: a prior cost is >= 0 USD")
            priors.setdefault((dimension, model), {})[PRIOR_FIELDS[fld]] = value
            continue
        if key not in SETTING_KEYS:
            raise WhatIfError(f"--set {item!r}: unknown key {key!r}; known: {', '.join(SETTING_KEYS)}, "
                              "prior.<dimension>.<model>.score|cost_usd")
        if key == "k":
            try:
                changes[key] = int(text)
            except ValueError:
                raise WhatIfError(f"--set {item!r}: k must be an integer") from None
        else:
            changes[key] = _number(item, text)
    return changes, priors


def _number(item: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise WhatIfError(f"--set {item!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise WhatIfError(f"--set {item!r}: must be a finite number")
    return value


def as_settings(value: RouterSettings | Mapping[str, Any] | None, base: RouterSettings | None = None) -> RouterSettings:
    """A RouterSettings from an object, a full or partial mapping (applied on ``base``), or None (= base)."""
    base = base or RouterSettings()
    if value is None:
        return base
    if isinstance(value, RouterSettings):
        return value
    try:
        return base.replace(**dict(value))
    except SettingsError as exc:
        raise WhatIfError(str(exc)) from None
