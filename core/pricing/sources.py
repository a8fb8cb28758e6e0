"""Where a stored estimate's price came from, as a short label a reader knows (pure).

A stored ``price_source`` is the Price List SKU (``aws-price-list AmazonBedrock sku X``), the
library and its version (``genai-prices 0.2.3``), the config's overrides, or the URL or note of
our own shipped data; a batch price carries `` (batch: half price)`` after any of them.
"""

from __future__ import annotations

from core.pricing.token_price import BATCH_NOTE

PRICE_LIST = "AWS Price List"
LIBRARY = "genai-prices"
OVERRIDE = "config override"
SHIPPED = "shipped data"
UNPRICED = "unpriced"
# a priced row stored before its price's source was recorded
NOT_RECORDED = "source not recorded"
_PRICE_LIST_PREFIX = "aws-price-list"
_CONFIG_PREFIX = "config:"


def source_label(source: str | None, priced: bool = True) -> str:
    """The kind of source a stored ``price_source`` names: the Price List, genai-prices (with its
    version), a config override, our shipped data; unpriced, or not recorded."""
    if not priced:
        return UNPRICED
    if source is None:
        return NOT_RECORDED
    source = source.removesuffix(BATCH_NOTE)
    if source.startswith(_PRICE_LIST_PREFIX):
        return PRICE_LIST
    if source.startswith(LIBRARY):
        return source
    if source.startswith(_CONFIG_PREFIX):  # pricing.overrides, pricing.instance_overrides
        return OVERRIDE
    return SHIPPED


def dated(label: str) -> bool:
    """Whether a source's ``price_as_of`` is a date worth showing (an override's is not)."""
    return label not in (OVERRIDE, UNPRICED, NOT_RECORDED)
