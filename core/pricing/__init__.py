"""Prices and cost estimates: Bedrock tokens, SageMaker instances.

A usage whose price is unknown is *unpriced*: its cost is None and ``priced`` is false, so a
missing price is visible instead of hiding as $0.
"""

from core.pricing.instances import (
    InstancePrice,
    InstancePriceCatalog,
    ServerlessPrice,
    instance_hours_cost,
)
from core.pricing.tokens import (
    MILLION,
    MONEY_QUANTUM,
    LongContext,
    PriceCatalog,
    TokenPrice,
    TokenUsage,
    estimate_cost,
    foundation_model_id,
)

__all__ = [
    "MILLION",
    "MONEY_QUANTUM",
    "InstancePrice",
    "InstancePriceCatalog",
    "LongContext",
    "PriceCatalog",
    "ServerlessPrice",
    "TokenPrice",
    "TokenUsage",
    "estimate_cost",
    "foundation_model_id",
    "instance_hours_cost",
]
