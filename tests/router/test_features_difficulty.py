"""Difficulty estimate: signals move the level, the confidence stays modest and honest."""

from __future__ import annotations

import pytest

from router.difficulty import LEVELS, MAX_CONFIDENCE, canonical_difficulty, estimate_difficulty


def test_no_text_is_the_medium_prior_with_zero_confidence() -> None:
    for text in (None, "", "  \n"):
        guess = estimate_difficulty(text)
        assert (guess.level, guess.confidence, guess.signals) == ("medium", 0.0, ())


def test_small_cosmetic_request_is_easy() -> None:
    guess = estimate_difficulty("fix the typo in the README")
    assert guess.level == "easy"
    assert "cosmetic" in guess.signals


def test_wide_delicate_work_is_hard() -> None:
    guess = estimate_difficulty(
        "Migrate the whole codebase to the new message bus: the order, billing and shipping services all "
        "publish events, there is a race condition between billing and shipping, and CI must stay green. "
        "Files: orders/app.py, billing/consumer.py, shipping/worker.py, deploy/compose.yml."
    )
    assert guess.level == "hard"
    assert {"wide scope", "migration", "concurrency", "infrastructure"} <= set(guess.signals)
    assert any("files named" in s for s in guess.signals)


def test_plain_request_is_medium() -> None:
    guess = estimate_difficulty("Add an endpoint that returns the list of invoices for a customer, paginated")
    assert guess.level == "medium"


def test_stack_trace_raises_the_score() -> None:
    base = "The export job stops with an error when the account has no orders, please look into it."
    trace = base + '\nTraceback (most recent call last):\n  File "export.py", line 12, in run\nKeyError: 0'
    assert estimate_difficulty(trace).score > estimate_difficulty(base).score


@pytest.mark.parametrize("text", [
    "x", "rename foo to bar", "write a function", "Implement the scheduler across services " * 40,
    "- a\n- b\n- c\n- d\n- e\n- f", "```py\n```\n```py\n```",
])
def test_confidence_is_bounded(text: str) -> None:
    guess = estimate_difficulty(text)
    assert guess.level in LEVELS
    assert 0 < guess.confidence <= MAX_CONFIDENCE


def test_confidence_grows_with_distance_from_the_boundary() -> None:
    barely = estimate_difficulty("Optimize the report query, it is too slow for big accounts and times out sometimes")
    clearly = estimate_difficulty(
        "Optimize and migrate the whole codebase across services; fix the race condition and the deadlock "
        "in the kernel driver, then deploy through CI with the new architecture from scratch."
    )
    assert clearly.level == "hard"
    assert clearly.confidence > barely.confidence


@pytest.mark.parametrize(("given", "level"), [("Hard", "hard"), (" easy ", "easy"), ("MEDIUM", "medium")])
def test_canonical_difficulty(given: str, level: str) -> None:
    assert canonical_difficulty(given) == level


def test_canonical_difficulty_rejects_unknown_levels() -> None:
    with pytest.raises(ValueError, match="difficulty must be one of easy, medium, hard"):
        canonical_difficulty("impossible")
