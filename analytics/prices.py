"""Token prices per model: the user's override file, then genai-prices, then our bundled defaults.

Codex stores no prices (DESIGN §6), so cost is derived from token counts:
``(input - cached - cache_write) * p_in + cached * p_cache_read + cache_write * p_cache_write + output * p_out``
— cached and cache-write tokens are inside ``input`` (Codex's ``cache_write_input_tokens``), reasoning
tokens inside ``output`` (never counted twice). A model without a cache-write price pays its input rate. Rates are resolved once per model and kept,
so pricing a million events is a vectorised multiply (see ``analytics.store``), not a million lookups.

genai-prices prices per request and knows long-context tiers; our token counts are per task (many
requests, each normally below a tier threshold), so the base tier is the right per-token rate. An unknown
model is *unpriced* (``None``), never silently $0.
"""

from __future__ import annotations

import importlib
import math
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from analytics.paths import config_dir
from analytics.tomlfile import read_toml

DEFAULTS_PATH = Path(__file__).with_name("default_prices.toml")
OVERRIDE_FILENAME = "prices.toml"
_PROBE_TOKENS = 1000  # small enough to stay in every model's base tier
_FIELDS = ("input_per_mtok", "cached_input_per_mtok", "output_per_mtok")


class PriceFileError(ValueError):
    """A prices TOML file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens, and where the figures came from (override | genai-prices | bundled)."""

    model: str
    input_per_mtok: float
    cached_input_per_mtok: float
    output_per_mtok: float
    source: str
    cache_write_per_mtok: float | None = None  # None: the input rate

    def cost(self, input: int = 0, cached_input: int = 0, output: int = 0, cache_write: int = 0) -> float:
        uncached = max(input - cached_input - cache_write, 0)
        write_rate = self.input_per_mtok if self.cache_write_per_mtok is None else self.cache_write_per_mtok
        return (uncached * self.input_per_mtok + cached_input * self.cached_input_per_mtok
                + cache_write * write_rate + output * self.output_per_mtok) / 1_000_000


def _read_table(path: Path, source: str) -> dict[str, ModelPrice]:
    data = read_toml(path, PriceFileError)
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise PriceFileError(f"{path}: [models] must be a table of [models.\"NAME\"] tables")
    out: dict[str, ModelPrice] = {}
    for name, entry in models.items():
        if not isinstance(entry, dict):
            raise PriceFileError(f"{path}: models.{name} must be a table")
        values: dict[str, float] = {}
        for field in _FIELDS:
            value = entry.get(field, entry.get("input_per_mtok") if field == "cached_input_per_mtok" else None)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise PriceFileError(f"{path}: models.{name}.{field} must be a finite non-negative number, "
                                     f"got {value!r}")
            values[field] = float(value)
        write = entry.get("cache_write_per_mtok")
        if write is not None and (isinstance(write, bool) or not isinstance(write, int | float) or write < 0):
            raise PriceFileError(f"{path}: models.{name}.cache_write_per_mtok must be a non-negative number, "
                                 f"got {write!r}")
        out[name.lower()] = ModelPrice(model=name, source=source, **values,
                                       cache_write_per_mtok=None if write is None else float(write))
    return out


def import_catalogue_in_background() -> threading.Thread:
    """Start importing genai-prices (~0.2 s of module loading) in a thread, so a caller about to price models
    after other work (the first ingest poll) overlaps the two; ``join()`` the thread before pricing."""
    thread = threading.Thread(target=importlib.import_module, args=("genai_prices",), daemon=True)
    thread.start()
    return thread


def _genai_price(model: str) -> ModelPrice | None:
    from genai_prices import Usage, calc_price

    def per_mtok(usage: Usage) -> float:
        total: Decimal = calc_price(usage, model_ref=model).total_price
        return float(total) * 1_000_000 / _PROBE_TOKENS

    try:
        input_rate = per_mtok(Usage(input_tokens=_PROBE_TOKENS))
        cached_rate = per_mtok(Usage(input_tokens=_PROBE_TOKENS, cache_read_tokens=_PROBE_TOKENS))
        output_rate = per_mtok(Usage(output_tokens=_PROBE_TOKENS))
        write_rate = per_mtok(Usage(input_tokens=_PROBE_TOKENS, cache_write_tokens=_PROBE_TOKENS))
    except LookupError:
        return None
    return ModelPrice(model, input_rate, cached_rate, output_rate, "genai-prices", write_rate)


class PriceBook:
    """Resolves a model name to its rates once; ``price`` and ``cost`` are then dictionary lookups."""

    def __init__(self, overrides: dict[str, ModelPrice], defaults: dict[str, ModelPrice]) -> None:
        self._overrides = overrides
        self._defaults = defaults
        self._cache: dict[str, ModelPrice | None] = {}

    @classmethod
    def load(cls, override: Path | None = None) -> PriceBook:
        """``override`` defaults to ``config_dir()/prices.toml``; a missing file simply means no overrides."""
        path = override if override is not None else config_dir() / OVERRIDE_FILENAME
        overrides = _read_table(path, "override") if path.exists() else {}
        return cls(overrides, _read_table(DEFAULTS_PATH, "bundled"))

    def price(self, model: str | None) -> ModelPrice | None:
        if not model:
            return None
        if model not in self._cache:
            key = model.lower()
            found = self._overrides.get(key) or _genai_price(model) or self._defaults.get(key)
            self._cache[model] = found
        return self._cache[model]

    def cost(self, model: str | None, input: int = 0, cached_input: int = 0, output: int = 0,
             reasoning: int = 0, cache_write: int = 0) -> float | None:
        """USD for one run; ``reasoning`` is accepted for symmetry but already inside ``output``."""
        del reasoning
        found = self.price(model)
        return None if found is None else found.cost(input, cached_input, output, cache_write)
