"""Token prices per model: the user's override file, then genai-prices, then our bundled defaults.

Codex stores no prices (DESIGN §6), so cost is derived from token counts:
``(input - cached - cache_write) * p_in + cached * p_cache_read + cache_write * p_cache_write + output * p_out``
— cached and cache-write tokens are inside ``input`` (Codex's ``cache_write_input_tokens``), reasoning
tokens inside ``output`` (never counted twice); a model without a cache-write price pays its input rate.
Rates are resolved once per model and kept, so pricing a million events is a vectorised multiply (see
``analytics.store``), not a million lookups.

genai-prices prices per request and knows long-context tiers (cross the threshold and *every* token of that
request pays the tier rate). A tier is a property of one request, so it is applied per call: each Codex
rollout call (a ``token_count`` growth or a ``token_usage_record``) is priced on its own input size
(``ModelPrice.cost`` and the store's ``session_spend`` view). A routing-log outcome carries one task's
tokens summed over many requests, so it is priced at the base rate. An unknown model is *unpriced*
(``None``), never silently $0.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import threading
from dataclasses import dataclass
from pathlib import Path

from analytics.errors import CodexRouterError
from analytics.metrics import token_cost
from analytics.numbers import is_number
from analytics.paths import config_dir
from analytics.tomlfile import read_toml

DEFAULTS_PATH = Path(__file__).with_name("default_prices.toml")
OVERRIDE_FILENAME = "prices.toml"
_PROBE_TOKENS = 1000  # small enough to stay in every model's base tier
_FIELDS = ("input_per_mtok", "cached_input_per_mtok", "output_per_mtok")


class PriceFileError(CodexRouterError, ValueError):
    """A prices TOML file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Rates:
    """USD per million tokens of one request; ``cache_write_per_mtok`` None: cache writes pay the input rate."""

    input_per_mtok: float
    cached_input_per_mtok: float
    output_per_mtok: float
    cache_write_per_mtok: float | None = None

    def cost(self, input: int = 0, cached_input: int = 0, output: int = 0, cache_write: int = 0) -> float:
        return token_cost(input, cached_input, output, cache_write, input_rate=self.input_per_mtok,
                          cached_rate=self.cached_input_per_mtok, output_rate=self.output_per_mtok,
                          cache_write_rate=self.cache_write_per_mtok)


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens, and where the figures came from (override | genai-prices | bundled).
    ``tier``: (input tokens above which a request pays other rates, those rates), e.g. long context."""

    model: str
    input_per_mtok: float
    cached_input_per_mtok: float
    output_per_mtok: float
    source: str
    cache_write_per_mtok: float | None = None
    tier: tuple[int, Rates] | None = None

    @property
    def base(self) -> Rates:
        return Rates(self.input_per_mtok, self.cached_input_per_mtok, self.output_per_mtok, self.cache_write_per_mtok)

    def cost(self, input: int = 0, cached_input: int = 0, output: int = 0, cache_write: int = 0) -> float:
        """USD for one request (a tier applies when its input exceeds the tier's start)."""
        rates = self.tier[1] if self.tier and input > self.tier[0] else self.base
        return rates.cost(input, cached_input, output, cache_write)


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
            if not is_number(value) or not 0 <= value < math.inf:
                raise PriceFileError(f"{path}: models.{name}.{field} must be a finite non-negative number, "
                                     f"got {value!r}")
            values[field] = float(value)
        write = entry.get("cache_write_per_mtok")
        if write is not None and (not is_number(write) or write < 0):
            raise PriceFileError(f"{path}: models.{name}.cache_write_per_mtok must be a non-negative number, "
                                 f"got {write!r}")
        out[name.lower()] = ModelPrice(model=name, source=source, **values,
                                       cache_write_per_mtok=None if write is None else float(write))
    return out


def import_in_background(*modules: str) -> threading.Thread:
    """Start importing ``modules`` in a thread, so that their loading overlaps other work (reading files,
    waiting for worker processes); ``join()`` the thread, or import them, before use."""
    thread = threading.Thread(target=lambda: [importlib.import_module(name) for name in modules], daemon=True)
    thread.start()
    return thread


def import_catalogue_in_background() -> threading.Thread:
    """genai-prices (~0.2 s of module loading) in a thread, for a caller about to price models after other
    work (the first ingest poll); ``join()`` the thread before pricing."""
    return import_in_background("genai_prices")


def _genai_rates(model: str, floor: int) -> Rates:
    """The per-token rates of a request of ``floor`` + a probe's input tokens (``floor`` 0: the base tier),
    measured by pricing that request and its variants, so genai-prices' own rules decide. Its ``input_tokens``
    include cache reads and writes, as Codex's do."""
    from genai_prices import Usage, calc_price

    size = floor + _PROBE_TOKENS
    per_mtok = 1_000_000 / _PROBE_TOKENS

    def price(**usage: int):
        return calc_price(Usage(input_tokens=size, **usage), model_ref=model)

    plain = price().total_price
    input_rate = float(plain) * 1_000_000 / size
    writes = price(cache_write_tokens=_PROBE_TOKENS)
    cached = input_rate + float(price(cache_read_tokens=_PROBE_TOKENS).total_price - plain) * per_mtok
    output = float(price(output_tokens=_PROBE_TOKENS).total_price - plain) * per_mtok
    write = None if writes.model_price.cache_write_mtok is None else input_rate + float(writes.total_price - plain) * per_mtok
    return Rates(*(None if rate is None else round(rate, 9) for rate in (input_rate, cached, output, write)))


def _tier_start(model: str) -> int | None:
    """The lowest input size from which genai-prices charges this model another rate (None: no tiers)."""
    from genai_prices import Usage, calc_price

    prices = calc_price(Usage(input_tokens=1), model_ref=model).model_price
    starts = [tier.start for value in vars(prices).values() for tier in getattr(value, "tiers", None) or ()]
    return min(starts, default=None)


def _genai_price(model: str) -> ModelPrice | None:
    try:
        base = _genai_rates(model, 0)
        start = _tier_start(model)
        tier = None if start is None else (start, _genai_rates(model, start))
    except LookupError:
        return None
    return ModelPrice(model, base.input_per_mtok, base.cached_input_per_mtok, base.output_per_mtok, "genai-prices",
                      base.cache_write_per_mtok, tier)


class PriceBook:
    """Resolves a model name to its rates once; ``price`` and ``cost`` are then dictionary lookups."""

    def __init__(self, overrides: dict[str, ModelPrice], defaults: dict[str, ModelPrice]) -> None:
        self._overrides = overrides
        self._defaults = defaults
        self._cache: dict[str, ModelPrice | None] = {}

    @property
    def key(self) -> str:
        """What this book's prices depend on (the override and bundled tables, the installed genai-prices), so
        a store can keep prices it resolved before instead of importing genai-prices (~0.25 s) again."""
        spec = importlib.util.find_spec("genai_prices")  # finds the package without importing it
        catalogue = Path(spec.origin).with_name("data.py") if spec and spec.origin else None
        try:
            stamp = catalogue.stat() if catalogue else None
        except OSError:
            stamp = None
        installed = (str(catalogue), stamp.st_size, stamp.st_mtime_ns) if stamp else None
        return repr((sorted(self._overrides.items()), sorted(self._defaults.items()), installed))

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
        """USD for one request (tiers apply; see the module docstring); ``reasoning`` is accepted for symmetry
        but already inside ``output``."""
        del reasoning
        found = self.price(model)
        return None if found is None else found.cost(input, cached_input, output, cache_write)
