"""Bedrock token prices (core/prices/bedrock.yaml plus config overrides) and token cost estimates.

A usage whose price is unknown is *unpriced*: its cost is None and ``priced`` is false, so a
missing price is visible instead of hiding as $0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml

from core.settings import PriceOverride

MILLION = Decimal(1_000_000)
MONEY_QUANTUM = Decimal("0.000001")

# Cross-region inference profiles prefix the model id with a geography.
_GEO_PREFIX = re.compile(r"^(us|eu|apac|us-gov|global|jp|au|ca)\.(?=[a-z0-9-]+\.)")
# Some model ids carry a context-window or modality suffix priced like the base model.
_VARIANT_SUFFIX = re.compile(r":(\d+k|mm)$")


@dataclass(frozen=True)
class TokenPrice:
    """USD per million tokens for one model in one region, and where the figure came from."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None
    source: str
    as_of: str


@dataclass(frozen=True)
class TokenUsage:
    """The tokens one model used in some period."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _token_price(entry: dict[str, Any], source: str, as_of: str) -> TokenPrice:
    return TokenPrice(
        input=Decimal(str(entry["input"])),
        output=Decimal(str(entry.get("output", 0))),
        cache_read=_decimal(entry.get("cache_read")),
        cache_write=_decimal(entry.get("cache_write")),
        source=str(entry.get("source", source)),
        as_of=str(entry.get("as_of", as_of)),
    )


def foundation_model_id(model_id: str) -> str:
    """The foundation model behind a model id, ARN or cross-region inference profile id."""
    candidate = model_id
    if candidate.startswith("arn:"):
        resource = candidate.split(":", 5)[-1]
        candidate = resource.split("/", 1)[1] if "/" in resource else resource
    return _GEO_PREFIX.sub("", candidate)


class PriceCatalog:
    """Token prices per model and region, from the shipped data file plus config overrides."""

    def __init__(self, models: dict[str, dict[str, TokenPrice]]) -> None:
        self._models = models

    @classmethod
    def load(cls, overrides: dict[str, PriceOverride] | None = None) -> PriceCatalog:
        """Load the shipped Bedrock catalog and lay the config's overrides over it."""
        text = resources.files("core.prices").joinpath("bedrock.yaml").read_text(encoding="utf-8")
        return cls.from_data(yaml.safe_load(text), overrides)

    @classmethod
    def from_data(
        cls, data: dict[str, Any], overrides: dict[str, PriceOverride] | None = None
    ) -> PriceCatalog:
        """Build a catalog from parsed catalog data (the shape of core/prices/bedrock.yaml)."""
        source = str(data.get("source", "unknown"))
        as_of = str(data.get("as_of", "unknown"))
        models: dict[str, dict[str, TokenPrice]] = {}
        for model_id, entry in (data.get("models") or {}).items():
            prices = {"*": _token_price(entry["default"], source, as_of)}
            for region, regional in (entry.get("regions") or {}).items():
                prices[region] = _token_price(regional, source, as_of)
            models[str(model_id)] = prices
        for model_id, override in (overrides or {}).items():
            price = TokenPrice(
                input=Decimal(str(override.input_per_mtok)),
                output=Decimal(str(override.output_per_mtok)),
                cache_read=_decimal(override.cache_read_per_mtok),
                cache_write=_decimal(override.cache_write_per_mtok),
                source="config: pricing.overrides",
                as_of="config",
            )
            regional = models.setdefault(model_id, {})
            for region in override.regions or ["*"]:
                regional[region] = price
        return cls(models)

    def __contains__(self, model_id: str) -> bool:
        return self._lookup_id(model_id) is not None

    def _lookup_id(self, model_id: str) -> str | None:
        base = foundation_model_id(model_id)
        for candidate in (base, _VARIANT_SUFFIX.sub("", base)):
            if candidate in self._models:
                return candidate
        return None

    def price(self, model_id: str, region: str) -> TokenPrice | None:
        """The token price of a model in a region, or None if the catalog does not know it."""
        found = self._lookup_id(model_id)
        if found is None:
            return None
        regional = self._models[found]
        return regional.get(region) or regional.get("*")


def estimate_cost(price: TokenPrice | None, usage: TokenUsage) -> Decimal | None:
    """The estimated USD cost of some token usage, or None when it cannot be priced.

    Cache tokens without a cache price make the whole estimate unknown rather than a guess.
    """
    if price is None:
        return None
    total = usage.input_tokens * price.input + usage.output_tokens * price.output
    for tokens, rate in (
        (usage.cache_read_tokens, price.cache_read),
        (usage.cache_write_tokens, price.cache_write),
    ):
        if tokens:
            if rate is None:
                return None
            total += tokens * rate
    return (total / MILLION).quantize(MONEY_QUANTUM)
