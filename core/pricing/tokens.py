"""Bedrock token prices and token cost estimates.

A price is resolved per (ModelId, Region, batch) once and then cached, in this order: the
config's ``pricing.overrides``; our own per-Region figure (core/prices/bedrock-regional.yaml);
the genai-prices library for the call's routing scope (``global.`` vs geographic vs in-region);
our own default for a model the library lacks. A usage whose price is unknown is *unpriced*:
its cost is None and ``priced`` is false, so a missing price is visible instead of hiding as $0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml

from core.pricing.bedrock_ids import ModelRef, arn_resource_id, parse_model_id, strip_routing_prefix
from core.pricing.library import library_price
from core.pricing.token_price import (
    MILLION,
    MONEY_QUANTUM,
    LongContext,
    TokenPrice,
    TokenUsage,
    estimate_cost,
)
from core.settings import PriceOverride

__all__ = [
    "MILLION",
    "MONEY_QUANTUM",
    "LongContext",
    "PriceCatalog",
    "TokenPrice",
    "TokenUsage",
    "estimate_cost",
    "foundation_model_id",
]

DATA_FILE = "bedrock-regional.yaml"
OVERRIDE_SOURCE = "config: pricing.overrides"
LATENCY_KEY = "+latency-optimized"
ANY_REGION = "*"
LibraryFn = Callable[[ModelRef], TokenPrice | None]


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
        cache_write_1h=_decimal(entry.get("cache_write_1h")),
    )


def _override_price(override: PriceOverride) -> TokenPrice:
    return TokenPrice(
        input=Decimal(str(override.input_per_mtok)),
        output=Decimal(str(override.output_per_mtok)),
        cache_read=_decimal(override.cache_read_per_mtok),
        cache_write=_decimal(override.cache_write_per_mtok),
        source=OVERRIDE_SOURCE,
        as_of="config",
    )


def _long_context(entry: dict[str, Any]) -> LongContext:
    return LongContext(
        threshold=int(entry["threshold"]),
        input=Decimal(str(entry["input"])),
        output=Decimal(str(entry["output"])),
        cache_read=_decimal(entry.get("cache_read")),
        cache_write=_decimal(entry.get("cache_write")),
        cache_write_1h=_decimal(entry.get("cache_write_1h")),
    )


def foundation_model_id(model_id: str) -> str:
    """The foundation model behind a model id, ARN or cross-region inference profile id."""
    return strip_routing_prefix(arn_resource_id(model_id))


def _regional_entries(entry: dict[str, Any], source: str, as_of: str) -> dict[str, TokenPrice]:
    prices = {}
    if "default" in entry:
        prices[ANY_REGION] = _token_price(entry["default"], source, as_of)
    for region, regional in (entry.get("regions") or {}).items():
        prices[str(region)] = _token_price(regional, source, as_of)
    return prices


class PriceCatalog:
    """Token prices per model, Region and routing scope: overrides, own data, then the library."""

    def __init__(
        self,
        models: dict[str, dict[str, TokenPrice]],
        overrides: dict[str, dict[str, TokenPrice]] | None = None,
        library: LibraryFn | None = None,
        long_context: dict[str, LongContext] | None = None,
    ) -> None:
        self._models = models
        self._overrides = overrides or {}
        self._library = library
        self._long_context = long_context or {}
        self._cache: dict[tuple[str, str, bool], TokenPrice | None] = {}

    @classmethod
    def load(cls, overrides: Mapping[str, PriceOverride] | None = None) -> PriceCatalog:
        """The genai-prices library, our own regional data file, and the config's overrides."""
        text = resources.files("core.prices").joinpath(DATA_FILE).read_text(encoding="utf-8")
        return cls.from_data(yaml.safe_load(text), overrides, library=library_price)

    @classmethod
    def from_data(
        cls,
        data: dict[str, Any],
        overrides: Mapping[str, PriceOverride] | None = None,
        library: LibraryFn | None = None,
    ) -> PriceCatalog:
        """Build a catalog from parsed data (the shape of core/prices/bedrock-regional.yaml)."""
        source = str(data.get("source", "unknown"))
        as_of = str(data.get("as_of", "unknown"))
        models: dict[str, dict[str, TokenPrice]] = {}
        long_context: dict[str, LongContext] = {}
        for model_id, entry in (data.get("models") or {}).items():
            if "long_context" in entry:
                long_context[str(model_id)] = _long_context(entry["long_context"])
            if "default" in entry or "regions" in entry:
                models[str(model_id)] = _regional_entries(entry, source, as_of)
            if "latency_optimized" in entry:
                latency = _token_price(entry["latency_optimized"], source, as_of)
                models[f"{model_id}{LATENCY_KEY}"] = {ANY_REGION: latency}
        by_model: dict[str, dict[str, TokenPrice]] = {}
        for model_id, override in (overrides or {}).items():
            price = _override_price(override)
            for region in override.regions or [ANY_REGION]:
                by_model.setdefault(model_id, {})[region] = price
        return cls(models, by_model, library, long_context)

    def __contains__(self, model_id: str) -> bool:
        return self.price(model_id, ANY_REGION) is not None

    def price(self, model_id: str, region: str, batch: bool = False) -> TokenPrice | None:
        """The token price of a call with this ModelId in this Region, or None if unknown.

        ``batch`` prices batch inference (half the on-demand rates; overrides are taken as given).
        """
        key = (model_id, region, batch)
        if key not in self._cache:
            self._cache[key] = next(
                (
                    price
                    for ref in parse_model_id(model_id).bases()
                    if (price := self._resolve(ref, region, batch)) is not None
                ),
                None,
            )
        return self._cache[key]

    def _resolve(self, ref: ModelRef, region: str, batch: bool) -> TokenPrice | None:
        override = self._regional(self._overrides, ref.routed_id, region) or self._regional(
            self._overrides, ref.base, region
        )
        if override is not None:
            return override
        price = self._latency_optimized(ref) if ref.latency_optimized else None
        if price is None:
            price = self._list_price(ref, region)
        if price is None:
            return None
        if price.long_context is None:
            tier = self._long_context.get(ref.routed_id) or self._long_context.get(ref.base)
            price = replace(price, long_context=tier) if tier else price
        return price.batch() if batch else price

    def _latency_optimized(self, ref: ModelRef) -> TokenPrice | None:
        own = self._models.get(f"{ref.base}{LATENCY_KEY}")
        return own.get(ANY_REGION) if own else None

    def _list_price(self, ref: ModelRef, region: str) -> TokenPrice | None:
        own = self._models.get(ref.base, {})
        if region in own:
            return own[region]
        found = self._library(ref) if self._library else None
        return found or own.get(ANY_REGION)

    @staticmethod
    def _regional(
        table: dict[str, dict[str, TokenPrice]], model_id: str, region: str
    ) -> TokenPrice | None:
        regional = table.get(model_id)
        if not regional:
            return None
        return regional.get(region) or regional.get(ANY_REGION)
