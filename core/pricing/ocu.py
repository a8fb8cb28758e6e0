"""OpenSearch Serverless OCU-hour prices (core/prices/opensearch_serverless.yaml, dated and
regional) and the share rule that splits an account's OCU cost over its collections.

Precedence: a stored Price List point (``price_points``, item kind ``ocu``) in force at the
hour > the shipped file's entry in force at the hour > unpriced (None, never $0). `prices
refresh` stores the Price List's ``<REGION>-SearchOCU`` and ``-IndexingOCU`` products under the
dimensions ``search`` and ``indexing``; a point under ``hourly`` prices both kinds.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any, TypeVar

import yaml
from sqlalchemy.orm import Session

from core.pricing.dated import DatedPrices
from core.pricing.tokens import MONEY_QUANTUM

ITEM_KIND = "ocu"
ITEM_KEY = "opensearch-serverless"
DIMENSION = "hourly"
KINDS = ("search", "indexing")
SHARE_QUANTUM = Decimal("0.000001")
K = TypeVar("K")


@dataclass(frozen=True)
class OcuPrice:
    """USD per OCU-hour in force in one region from ``effective_from``, and its source."""

    usd: Decimal
    effective_from: datetime
    source: str


class OcuPrices:
    """The OCU-hour price in force per region and hour."""

    def __init__(
        self, shipped: dict[str, list[OcuPrice]], stored: DatedPrices | None = None
    ) -> None:
        self._shipped = {r: sorted(p, key=lambda x: x.effective_from) for r, p in shipped.items()}
        self._stored = stored

    @classmethod
    def shipped(cls) -> OcuPrices:
        """The prices shipped with the monitor."""
        text = resources.files("core.prices").joinpath("opensearch_serverless.yaml")
        return cls.from_data(yaml.safe_load(text.read_text(encoding="utf-8")))

    @classmethod
    def load(cls, session: Session) -> OcuPrices:
        """The shipped prices, with the stored Price List points read once."""
        return cls(cls.shipped()._shipped, DatedPrices.load(session, ITEM_KIND))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> OcuPrices:
        """Prices from parsed data of the shipped file's shape."""
        source = str(data.get("source", "unknown"))
        regions: dict[str, list[OcuPrice]] = {}
        for region, entries in (data.get("prices") or {}).items():
            regions[str(region)] = [
                OcuPrice(
                    Decimal(str(entry["usd"])),
                    datetime.fromisoformat(str(entry["effective_from"])).replace(tzinfo=UTC),
                    str(entry.get("source", source)),
                )
                for entry in entries
            ]
        return cls(regions)

    def price(self, region: str, hour: datetime, kind: str = "search") -> OcuPrice | None:
        """The price of a ``kind`` (search or indexing) OCU-hour in force in ``region`` at
        ``hour``, or None when none is known."""
        if self._stored is not None:
            for dimension in (DIMENSION, kind):
                point = self._stored.in_force(ITEM_KIND, ITEM_KEY, region, dimension, hour)
                if point is not None:
                    return OcuPrice(point.price_usd, point.effective_from, point.source)
        entries = self._shipped.get(region, [])
        index = bisect.bisect_right([entry.effective_from for entry in entries], hour)
        return entries[index - 1] if index else None


def ocu_cost(ocu_hours: Decimal, price: OcuPrice | None) -> Decimal | None:
    """OCU-hours at a price, to the cent's sixth decimal; None when unpriced."""
    if price is None:
        return None
    return (ocu_hours * price.usd).quantize(MONEY_QUANTUM)


def split_ocu_cost(
    search: Decimal,
    indexing: Decimal,
    prices: tuple[OcuPrice | None, OcuPrice | None],
) -> tuple[Decimal | None, str | None]:
    """Search and indexing OCU-hours at their prices, and the prices' source; one price for both
    when they are equal (the usual case). None when either kind with hours is unpriced."""
    search_price, indexing_price = prices
    if search_price is not None and indexing_price is not None:
        if search_price.usd == indexing_price.usd:
            return ocu_cost(search + indexing, search_price), search_price.source
    parts = [(hours, price) for hours, price in zip((search, indexing), prices, strict=True)]
    if any(price is None and hours > 0 for hours, price in parts):
        return None, None
    cost = sum(
        (ocu_cost(hours, price) or Decimal(0) for hours, price in parts if price is not None),
        Decimal(0),
    )
    sources = dict.fromkeys(price.source for _, price in parts if price is not None)
    return cost.quantize(MONEY_QUANTUM), "; ".join(sources) or None


def ocu_shares(presence: dict[K, Decimal]) -> dict[K, Decimal]:
    """Each collection's share of its account's OCU cost in one region and hour.

    OCUs belong to the account, not to a collection, and AWS publishes them per account only.
    The rule: every collection that existed in the hour carries an equal part of it, prorated
    by the fraction of the hour it existed (``presence``); request counts do not weigh in,
    because the capacity floor a collection keeps billing does not depend on its traffic.
    The shares of an hour sum to 1 (to the sixth decimal, the rounding left on the last).
    """
    total = sum(presence.values(), Decimal(0))
    if total <= 0:
        return {key: Decimal(0) for key in presence}
    keys = sorted(presence)  # type: ignore[type-var]  # str or tuple keys: both order
    shares = {key: (presence[key] / total).quantize(SHARE_QUANTUM) for key in keys}
    shares[keys[-1]] += Decimal(1) - sum(shares.values(), Decimal(0))
    return shares
