"""SageMaker prices (core/prices/sagemaker.yaml): instance-hours, and serverless GB-seconds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml

from core.pricing.tokens import MONEY_QUANTUM

# Regions whose SageMaker hosting prices equal us-east-1's: the catalog's default is theirs.
LIST_PRICE_REGIONS = frozenset({"us-east-1", "us-east-2", "us-west-2"})


@dataclass(frozen=True)
class InstancePrice:
    """USD per instance-hour for one SageMaker instance type in one region, and its source."""

    hourly: Decimal
    source: str
    as_of: str


@dataclass(frozen=True)
class ServerlessPrice:
    """USD per GB-second of serverless inference compute in one region, and its source."""

    per_gb_second: Decimal
    source: str
    as_of: str


class InstancePriceCatalog:
    """On-demand SageMaker inference prices per instance type and region, and serverless rates
    per region (core/prices/sagemaker.yaml)."""

    def __init__(
        self,
        instances: dict[str, dict[str, InstancePrice]],
        serverless: dict[str, ServerlessPrice] | None = None,
    ) -> None:
        self._instances = instances
        self._serverless = serverless or {}

    @classmethod
    def load(cls) -> InstancePriceCatalog:
        """Load the shipped SageMaker instance catalog."""
        text = resources.files("core.prices").joinpath("sagemaker.yaml").read_text(encoding="utf-8")
        return cls.from_data(yaml.safe_load(text))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> InstancePriceCatalog:
        """Build a catalog from parsed catalog data (the shape of core/prices/sagemaker.yaml)."""
        source = str(data.get("source", "unknown"))
        as_of = str(data.get("as_of", "unknown"))
        instances: dict[str, dict[str, InstancePrice]] = {}
        for instance_type, entry in (data.get("instances") or {}).items():
            if not isinstance(entry, dict):
                entry = {"default": entry}
            prices = {"*": _instance_price(entry["default"], entry, source, as_of)}
            for region, regional in (entry.get("regions") or {}).items():
                prices[str(region)] = _instance_price(regional, entry, source, as_of)
            instances[str(instance_type)] = prices
        return cls(instances, _serverless_prices(data.get("serverless"), source, as_of))

    def __contains__(self, instance_type: str) -> bool:
        return instance_type in self._instances

    def instance_types(self) -> list[str]:
        """Every instance type the catalog prices, sorted."""
        return sorted(self._instances)

    def price(self, instance_type: str, region: str) -> InstancePrice | None:
        """The hourly price of an instance type in a region, or None if the catalog does not know it.

        A region without a price of its own falls back to the us-east-1 list price, and the
        source says so.
        """
        regional = self._instances.get(instance_type)
        if regional is None:
            return None
        if region in regional:
            return regional[region]
        default = regional["*"]
        if region in LIST_PRICE_REGIONS:
            return default
        return replace(default, source=f"us-east-1 list price ({default.source})")

    def serverless(self, region: str) -> ServerlessPrice | None:
        """The serverless compute rate per GB-second in a region (the us-east-1 list price where
        the region has none of its own, and the source says so), or None if none is shipped."""
        if region in self._serverless:
            return self._serverless[region]
        default = self._serverless.get("*")
        if default is None or region in LIST_PRICE_REGIONS:
            return default
        return replace(default, source=f"us-east-1 list price ({default.source})")


def _serverless_prices(data: Any, source: str, as_of: str) -> dict[str, ServerlessPrice]:
    if not isinstance(data, dict) or "default" not in data:
        return {}
    source = str(data.get("source", source))
    as_of = str(data.get("as_of", as_of))
    prices = {"*": ServerlessPrice(Decimal(str(data["default"])), source, as_of)}
    for region, rate in (data.get("regions") or {}).items():
        prices[str(region)] = ServerlessPrice(Decimal(str(rate)), source, as_of)
    return prices


def _instance_price(value: Any, entry: dict[str, Any], source: str, as_of: str) -> InstancePrice:
    if isinstance(value, dict):
        return InstancePrice(
            Decimal(str(value["hourly"])),
            str(value.get("source", entry.get("source", source))),
            str(value.get("as_of", entry.get("as_of", as_of))),
        )
    return InstancePrice(
        Decimal(str(value)), str(entry.get("source", source)), str(entry.get("as_of", as_of))
    )


def instance_hours_cost(price: InstancePrice | None, instance_hours: Decimal) -> Decimal | None:
    """The estimated USD cost of some instance-hours, or None when the type is unpriced."""
    if price is None:
        return None
    return (price.hourly * instance_hours).quantize(MONEY_QUANTUM)
