"""Prices: override > genai-prices > bundled defaults; every CodeRouterBench model priced; unknown = None."""

from __future__ import annotations

from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from analytics.paths import config_dir
from analytics.prices import PriceBook, PriceFileError

CODEROUTERBENCH_MODELS = ("claude-opus-4-6", "claude-sonnet-4-6", "gpt-5.4", "glm-5", "kimi-k2.5",
                          "MiniMax-M2.7", "Qwen3-Max", "qwen3.5-plus")


def test_all_eight_coderouterbench_models_are_priced() -> None:
    book = PriceBook.load()
    for model in CODEROUTERBENCH_MODELS:
        assert book.price(model) is not None, model


def test_qwen_comes_from_the_bundled_defaults_with_models_json_figures() -> None:
    price = PriceBook.load().price("Qwen3-Max")
    assert (price.source, price.input_per_mtok, price.output_per_mtok) == ("bundled", 0.34, 1.38)
    assert PriceBook.load().price("QWEN3.5-PLUS").output_per_mtok == 0.66


@pytest.mark.parametrize("model", ["gpt-5.4", "claude-opus-4-6", "glm-5"])
def test_cost_matches_genai_prices_including_cached_tokens(model: str) -> None:
    book = PriceBook.load()
    usage = Usage(input_tokens=20_000, cache_read_tokens=5_000, output_tokens=3_000)
    expected = float(calc_price(usage, model_ref=model).total_price)
    assert book.cost(model, input=20_000, cached_input=5_000, output=3_000, reasoning=1_000) == \
        pytest.approx(expected, rel=1e-9)
    assert book.price(model).source == "genai-prices"


def test_reasoning_is_not_counted_twice() -> None:
    book = PriceBook.load()
    assert book.cost("gpt-5.4", input=0, output=1000, reasoning=800) == book.cost("gpt-5.4", output=1000)


def test_override_wins_and_unknown_model_is_unpriced(tmp_path: Path) -> None:
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "prices.toml").write_text(
        '[models."gpt-5.4"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n', encoding="utf-8")
    book = PriceBook.load()
    price = book.price("gpt-5.4")
    assert (price.source, price.input_per_mtok, price.cached_input_per_mtok) == ("override", 1.0, 1.0)
    assert book.cost("gpt-5.4", input=1_000_000, output=1_000_000) == pytest.approx(3.0)
    assert book.price("no-such-model-xyz") is None
    assert book.cost("no-such-model-xyz", input=10, output=10) is None


def test_bad_override_file_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "prices.toml"
    bad.write_text('[models."m"]\ninput_per_mtok = "cheap"\noutput_per_mtok = 1\n', encoding="utf-8")
    with pytest.raises(PriceFileError, match=r"prices.toml: models.m.input_per_mtok"):
        PriceBook.load(bad)
    bad.write_text("[models\n", encoding="utf-8")
    with pytest.raises(PriceFileError, match="not valid TOML"):
        PriceBook.load(bad)
