"""Dated prices: price points stored from the AWS Price List, and the price in force at an hour.

Precedence for a Bedrock token price and a SageMaker instance-hour alike: config overrides >
the stored Price List point in force at that hour and region > the shipped catalog. Points are
read once per collection cycle (``DatedPrices.load``), never per row.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import upsert
from core.models import PricePoint
from core.pricing.instances import InstancePrice, InstancePriceCatalog, ServerlessPrice
from core.pricing.tokens import PriceCatalog, TokenPrice, foundation_model_id
from core.settings import InstanceOverride, PriceOverride

INSTANCE_OVERRIDE_SOURCE = "config: pricing.instance_overrides"
# Price List serverless units: per second of the product's memory size, or per GB-second
_PER_SECOND = frozenset({"second", "seconds", "sec", "secs", "s"})
# Price List token units -> how many of them make a million tokens
PER_MILLION = {"1K tokens": Decimal(1000), "1M tokens": Decimal(1), "Units": Decimal(1)}
KEY_COLUMNS = ("item_kind", "item_key", "region", "dimension", "effective_from")


@dataclass(frozen=True)
class Point:
    """One stored price: USD per unit from ``effective_from``, and where it came from."""

    effective_from: datetime
    price_usd: Decimal
    unit: str
    source: str


class DatedPrices:
    """Every stored price point by (item kind, item key, region, dimension), oldest first."""

    def __init__(self, points: Mapping[tuple[str, str, str, str], list[Point]]) -> None:
        self._points = {
            key: sorted(found, key=lambda p: p.effective_from) for key, found in points.items()
        }
        self._starts = {
            key: [p.effective_from for p in found] for key, found in self._points.items()
        }

    @classmethod
    def load(cls, session: Session, *item_kinds: str) -> DatedPrices:
        """Read the stored points (of these item kinds, or all)."""
        statement = select(PricePoint)
        if item_kinds:
            statement = statement.where(PricePoint.item_kind.in_(item_kinds))
        grouped: dict[tuple[str, str, str, str], list[Point]] = defaultdict(list)
        for row in session.scalars(statement):
            key = (row.item_kind, row.item_key, row.region, row.dimension)
            grouped[key].append(Point(row.effective_from, row.price_usd, row.unit, row.source))
        return cls(grouped)

    def __len__(self) -> int:
        return sum(len(found) for found in self._points.values())

    def in_force(
        self, item_kind: str, item_key: str, region: str, dimension: str, hour: datetime
    ) -> Point | None:
        """The latest point with ``effective_from`` ≤ hour, or None before the first one."""
        key = (item_kind, item_key, region, dimension)
        starts = self._starts.get(key)
        if not starts:
            return None
        index = bisect.bisect_right(starts, hour)
        return self._points[key][index - 1] if index else None


def per_million(point: Point | None) -> Decimal | None:
    """A token point's USD per million tokens (None for no point or a unit that is not tokens)."""
    if point is None or point.unit not in PER_MILLION:
        return None
    return point.price_usd * PER_MILLION[point.unit]


def per_gb_second(point: Point | None, gigabytes: Decimal) -> Decimal | None:
    """A serverless point's USD per GB-second: a per-second price of its memory size divided by
    it, a per-GB-second price as it is (None for no point or another unit)."""
    if point is None:
        return None
    unit = point.unit.strip().lower()
    if "gb" in unit and "second" in unit:
        return point.price_usd
    if unit in _PER_SECOND and gigabytes > 0:
        return point.price_usd / gigabytes
    return None


class DatedInstancePrices:
    """SageMaker instance-hour and serverless GB-second prices in force at an hour, laid over a
    shipped ``InstancePriceCatalog``; config overrides win over both (as ``DatedTokenPrices``)."""

    def __init__(
        self,
        catalog: InstancePriceCatalog,
        dated: DatedPrices | None = None,
        overrides: Mapping[str, InstanceOverride] | None = None,
    ) -> None:
        self.catalog = catalog
        self.dated = dated or DatedPrices({})
        self._overrides = overrides or {}

    @classmethod
    def load(
        cls,
        session: Session,
        catalog: InstancePriceCatalog,
        overrides: Mapping[str, InstanceOverride] | None = None,
    ) -> DatedInstancePrices:
        """The catalog with the instance and serverless points stored in the database."""
        return cls(catalog, DatedPrices.load(session, "instance", "serverless"), overrides)

    def price(self, instance_type: str, region: str, hour: datetime) -> InstancePrice | None:
        """The hourly price of an instance type in a region in force at ``hour``."""
        override = self._overrides.get(instance_type)
        if override is not None and (override.regions is None or region in override.regions):
            return InstancePrice(Decimal(str(override.hourly)), INSTANCE_OVERRIDE_SOURCE, "config")
        point = self.dated.in_force("instance", instance_type, region, "hourly", hour)
        if point is not None:
            return InstancePrice(
                point.price_usd, point.source, point.effective_from.date().isoformat()
            )
        return self.catalog.price(instance_type, region)

    def serverless(self, memory_mb: int, region: str, hour: datetime) -> ServerlessPrice | None:
        """The serverless compute rate per GB-second for a memory size in a region at ``hour``."""
        gigabytes = Decimal(memory_mb) / 1024
        point = None
        if memory_mb % 1024 == 0:
            key = f"{memory_mb // 1024}GB"
            point = self.dated.in_force("serverless", key, region, "compute", hour)
        rate = per_gb_second(point, gigabytes)
        if point is not None and rate is not None:
            return ServerlessPrice(rate, point.source, point.effective_from.date().isoformat())
        return self.catalog.serverless(region)


class DatedTokenPrices:
    """Bedrock token prices in force at an hour, laid over a shipped ``PriceCatalog``."""

    def __init__(
        self,
        catalog: PriceCatalog,
        dated: DatedPrices,
        overrides: Mapping[str, PriceOverride] | None = None,
    ) -> None:
        self.catalog = catalog
        self.dated = dated
        self._overrides = overrides or {}

    @classmethod
    def load(
        cls,
        session: Session,
        catalog: PriceCatalog,
        overrides: Mapping[str, PriceOverride] | None = None,
    ) -> DatedTokenPrices:
        """The catalog with the token points stored in the database."""
        return cls(catalog, DatedPrices.load(session, "token"), overrides)

    def _overridden(self, model_id: str, region: str) -> bool:
        override = self._overrides.get(foundation_model_id(model_id))
        return override is not None and (override.regions is None or region in override.regions)

    def price(
        self, model_id: str, region: str, hour: datetime, called_as: str | None = None
    ) -> TokenPrice | None:
        """The token price of a model in a region in force at ``hour``; ``called_as`` is the
        ModelId the call named (a ``global.`` profile has its own, lower price)."""
        if not self._overridden(model_id, region):
            base = foundation_model_id(model_id)
            routed_globally = (called_as or model_id).startswith("global.")
            # geographic profiles and in-region calls use the base model's points
            keys = [f"global.{base}", base] if routed_globally else [base]
            for key in keys:
                found = self._listed(key, region, hour)
                if found is not None:
                    return found
        return self.catalog.price(model_id, region)

    def _listed(self, key: str, region: str, hour: datetime) -> TokenPrice | None:
        points = {
            kind: self.dated.in_force("token", key, region, kind, hour)
            for kind in ("input", "output", "cache_read", "cache_write")
        }
        rates = {kind: per_million(point) for kind, point in points.items()}
        entry, rate_in, rate_out = points["input"], rates["input"], rates["output"]
        if entry is None or rate_in is None or rate_out is None:
            return None
        newest = max(p.effective_from for p in points.values() if p is not None)
        return TokenPrice(
            input=rate_in,
            output=rate_out,
            cache_read=rates["cache_read"],
            cache_write=rates["cache_write"],
            source=entry.source,
            as_of=newest.date().isoformat(),
        )


def store_points(session: Session, rows: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """Upsert price points by their natural key; returns (points given, points new).

    A point already stored is left as it is (its first ``fetched_at`` too), so a second refresh
    changes nothing; a changed price on a new effective date is a new point, history kept.
    """
    # one point per key: the Price List may list the same price under two SKUs
    given = list({tuple(row[c] for c in KEY_COLUMNS): row for row in rows}.values())
    stored = {
        tuple(row)
        for row in session.execute(select(*(getattr(PricePoint, c) for c in KEY_COLUMNS)))
    }
    new = sum(1 for row in given if tuple(row[c] for c in KEY_COLUMNS) not in stored)
    if given:
        upsert(session, PricePoint, given, update=("unit", "price_usd", "source"))
    return len(given), new
