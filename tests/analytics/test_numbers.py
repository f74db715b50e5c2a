"""analytics.numbers: a bool is never a number, NaN and infinity are numbers but not finite ones."""

from __future__ import annotations

import math

import pytest

from analytics.numbers import is_finite, is_integer, is_number


@pytest.mark.parametrize(("value", "number", "finite", "integer"), [
    (1, True, True, True), (1.5, True, True, False), (True, False, False, False), (False, False, False, False),
    (math.inf, True, False, False), (math.nan, True, False, False), ("1", False, False, False), (None, False, False, False),
])
def test_what_counts_as_a_number(value, number, finite, integer) -> None:
    assert (is_number(value), is_finite(value), is_integer(value)) == (number, finite, integer)
