"""What counts as a number in JSON and TOML input: Python's ``bool`` is an ``int``, but never a number here.

Why its own module: the log schema, ingestion, every config validator and the what-if decoder ask the same
question of untrusted values; one definition keeps ``true`` from passing as 1 anywhere.
"""

from __future__ import annotations

import math


def is_number(value: object) -> bool:
    """An int or float, not a bool (NaN and infinity included: see ``is_finite``)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_finite(value: object) -> bool:
    """A number that is neither NaN nor infinite."""
    return is_number(value) and math.isfinite(value)  # type: ignore[arg-type]


def is_integer(value: object) -> bool:
    """An int, not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)
