"""RouterSettings: validation names the field, round trips through plain data, cost unit is shown."""

from __future__ import annotations

import pytest

from router.settings import COST_UNIT, RouterSettings, SettingsError


def test_defaults_match_the_contract():
    s = RouterSettings()
    assert (s.eps_perf, s.eps_cost, s.k, s.threshold, s.memory_size, s.exploration) == (1.0, -0.1, 10, 0.5, 20000, 0.0)
    assert s.cost_unit == COST_UNIT and "log2" in s.cost_unit
    assert (s.empirical_bayes, s.detect_regimes, s.regime_z, s.regime_strength) == (False, False, 3.0, 1.0)


@pytest.mark.parametrize(("field", "value"), [
    ("k", 0), ("k", 2.5), ("threshold", 1.5), ("exploration", -0.1), ("memory_size", 0),
    ("eps_cost", float("nan")), ("optimism", -1.0), ("prior_weight_cap", 0.0),
    ("regime_z", 0.0), ("regime_strength", -1.0), ("empirical_bayes", "yes"), ("detect_regimes", 1),
])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(SettingsError, match=field):
        RouterSettings(**{field: value})


def test_from_mapping_round_trip_and_unknown_keys():
    s = RouterSettings(eps_cost=-0.3, k=5, prior_keys=("source",))
    assert RouterSettings.from_mapping(s.to_dict()) == s
    assert RouterSettings.from_mapping({"eps_perf": 2}).eps_perf == 2.0
    with pytest.raises(SettingsError, match="router.toml.*epsilon"):
        RouterSettings.from_mapping({"epsilon": 1}, source="router.toml")
    with pytest.raises(SettingsError, match="router.toml.*'k'"):
        RouterSettings.from_mapping({"k": -1}, source="router.toml")


def test_replace_validates():
    assert RouterSettings().replace(exploration=0.2).exploration == 0.2
    with pytest.raises(SettingsError):
        RouterSettings().replace(exploration=2.0)
