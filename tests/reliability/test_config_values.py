"""Every config validator refuses NaN and infinities (TOML spells them ``nan`` and ``inf``): such a value
used to pass, and `route` crashed after Codex had run, losing the outcome."""

from __future__ import annotations

import pytest

from analytics.prices import PriceBook, PriceFileError
from hooks.settings import HooksSettings, HooksSettingsError
from router.state import RouterState, StateError

NON_FINITE = ["nan", "inf", "+inf", "-inf"]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("key", ["route.timeout_s", "verifier.timeout_s", "verifier.judge_timeout_s",
                                 "verifier.weights.code_generation.tests"])
def test_codex_toml_refuses_non_finite_numbers(tmp_path, key, value):
    *tables, name = key.split(".")
    path = tmp_path / "codex.toml"
    path.write_text(f"[{'.'.join(tables)}]\n{name} = {value}\n", encoding="utf-8")
    with pytest.raises(HooksSettingsError, match=rf"{path}: .*{name}.*finite"):
        HooksSettings.load(path)


@pytest.mark.parametrize("value", NON_FINITE)
def test_prices_toml_refuses_non_finite_numbers(tmp_path, value):
    path = tmp_path / "prices.toml"
    path.write_text(f"[models.m]\ninput_per_mtok = {value}\noutput_per_mtok = 1\n", encoding="utf-8")
    with pytest.raises(PriceFileError, match=r"models\.m\.input_per_mtok must be a finite"):
        PriceBook.load(path)


@pytest.mark.parametrize("field", ["score", "cost_usd", "user_score", "user_cost_usd"])
@pytest.mark.parametrize("value", NON_FINITE)
def test_router_toml_refuses_non_finite_prior_values(tmp_path, field, value):
    cell = {"model": '"m"', "n": "1", "score": "0.5", "cost_n": "1", "cost_usd": "0.1", field: value}
    (tmp_path / "router.toml").write_text('models = ["m"]\n[[priors]]\n'
                                          + "".join(f"{k} = {v}\n" for k, v in cell.items()), encoding="utf-8")
    with pytest.raises(StateError, match=rf"priors\[0\]\.{field}"):
        RouterState.load(tmp_path, tmp_path)
