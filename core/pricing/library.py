"""Bedrock token prices from the genai-prices library (provider ``aws``), as TokenPrice figures.

The library matches Bedrock ids and profile prefixes itself: ``global.X`` finds the global price,
``us.X`` / ``X`` the regional (geographic or in-region) one, 10% higher for Claude Sonnet 4.5,
Haiku 4.5 and later. Its prices carry no Region: per-Region figures are our own data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
from genai_prices import data_snapshot
from genai_prices.types import ModelInfo, ModelPrice, StartDateConstraint, TieredPrices

from core.pricing.bedrock_ids import ModelRef
from core.pricing.token_price import LongContext, TokenPrice

PROVIDER = "aws"
SOURCE = f"genai-prices {genai_prices.__version__}"
# the library's data carries no date of its own: a price without a start date is as of the
# package release that shipped it (stable across collections, unlike the lookup date)
RELEASE_AS_OF = SOURCE


def _rate(value: Decimal | TieredPrices | None) -> Decimal | None:
    if isinstance(value, TieredPrices):
        return value.base
    return value


def _tier(value: Decimal | TieredPrices | None) -> tuple[int, Decimal] | None:
    if isinstance(value, TieredPrices) and value.tiers:
        return value.tiers[0].start, value.tiers[0].price
    return None


def _long_context(price: ModelPrice) -> LongContext | None:
    """The first tier of a tiered price: the rates once a prompt passes its threshold."""
    tiers = {
        key: _tier(getattr(price, key))
        for key in ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
    }
    tiers["cache_write_1h_mtok"] = _tier(getattr(price, "cache_write_1h_mtok", None))
    input_tier = tiers["input_mtok"]
    if input_tier is None:
        return None

    def rate(key: str) -> Decimal | None:
        tier = tiers[key]
        return tier[1] if tier else _rate(getattr(price, key, None))

    return LongContext(
        threshold=input_tier[0],
        input=input_tier[1],
        output=rate("output_mtok") or Decimal(0),
        cache_read=rate("cache_read_mtok"),
        cache_write=rate("cache_write_mtok"),
        cache_write_1h=rate("cache_write_1h_mtok"),
    )


def token_price(price: ModelPrice, as_of: str) -> TokenPrice:
    """A library ModelPrice as our TokenPrice (base rates plus the long-context tier, if any)."""
    return TokenPrice(
        input=_rate(price.input_mtok) or Decimal(0),
        output=_rate(price.output_mtok) or Decimal(0),
        cache_read=_rate(price.cache_read_mtok),
        cache_write=_rate(price.cache_write_mtok),
        source=SOURCE,
        as_of=as_of,
        cache_write_1h=_rate(getattr(price, "cache_write_1h_mtok", None)),
        long_context=_long_context(price),
    )


def library_price(ref: ModelRef, at: datetime | None = None) -> TokenPrice | None:
    """The library's price for a call routed as ``ref`` (its scope, else the in-region model)."""
    snapshot = data_snapshot.get_snapshot()
    when = at or datetime.now(tz=UTC)
    for candidate in dict.fromkeys((ref.routed_id, ref.base)):
        try:
            _provider, model = snapshot.find_provider_model(candidate, None, PROVIDER, None)
        except LookupError:
            continue
        return token_price(model.get_prices(when), price_as_of(model, when))
    return None


def price_as_of(model: ModelInfo, when: datetime) -> str:
    """The start date of the model's price in force at ``when`` (the library's own choice: the
    last conditional price whose constraint holds), else the package release that shipped it."""
    if isinstance(model.prices, ModelPrice):
        return RELEASE_AS_OF
    for conditional in reversed(model.prices):
        constraint = conditional.constraint
        if constraint is None or constraint.active(when):
            if isinstance(constraint, StartDateConstraint):
                return constraint.start_date.isoformat()
            return RELEASE_AS_OF
    return RELEASE_AS_OF
