"""Bedrock Provisioned Throughput prices: USD per model unit-hour by model, region and commitment.

Precedence: the stored Price List point in force at that hour (item kind ``provisioned``) >
the shipped data (core/prices/bedrock-provisioned.yaml). Unknown is ``None``: unpriced, never $0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml
from sqlalchemy.orm import Session

from core.pricing.dated import DatedPrices
from core.pricing.token_price import MONEY_QUANTUM

DATA_FILE = "bedrock-provisioned.yaml"
ITEM_KIND = "provisioned"
NO_COMMITMENT = "none"
# the commitment -> the Price List dimension its points are stored under
DIMENSIONS = {
    NO_COMMITMENT: "model_unit_hour",
    "OneMonth": "model_unit_hour_1m",
    "SixMonths": "model_unit_hour_6m",
}
# regions where the shipped `default` (the list price) applies
LIST_PRICE_REGIONS = frozenset({"us-east-1", "us-west-2"})
ANY_REGION = "*"


@dataclass(frozen=True)
class ModelUnitPrice:
    """USD per model unit per hour, and where the figure came from."""

    hourly: Decimal
    source: str
    as_of: str


def commitment_key(commitment: str | None) -> str:
    """The price table's key of a PT's ``commitmentDuration`` (absent: no commitment)."""
    return commitment or NO_COMMITMENT


class ProvisionedPrices:
    """Model-unit prices: the stored Price List points laid over the shipped data."""

    def __init__(
        self,
        shipped: Mapping[tuple[str, str, str], ModelUnitPrice],
        dated: DatedPrices | None = None,
    ) -> None:
        self._shipped = dict(shipped)
        self._dated = dated

    @classmethod
    def shipped_data(cls) -> dict[tuple[str, str, str], ModelUnitPrice]:
        """The shipped prices by (model, region or *, commitment)."""
        text = resources.files("core.prices").joinpath(DATA_FILE).read_text(encoding="utf-8")
        return cls.parse(yaml.safe_load(text))

    @staticmethod
    def parse(data: Mapping[str, Any]) -> dict[tuple[str, str, str], ModelUnitPrice]:
        """Parsed data of the shape of core/prices/bedrock-provisioned.yaml -> prices by key."""
        source, as_of = str(data.get("source", "unknown")), str(data.get("as_of", "unknown"))
        prices: dict[tuple[str, str, str], ModelUnitPrice] = {}
        for model, entry in (data.get("models") or {}).items():
            regional = {ANY_REGION: entry.get("default") or {}, **(entry.get("regions") or {})}
            for region, by_commitment in regional.items():
                for commitment, usd in by_commitment.items():
                    price = ModelUnitPrice(Decimal(str(usd)), source, as_of)
                    prices[(str(model), str(region), str(commitment))] = price
        return prices

    @classmethod
    def load(cls, session: Session | None = None) -> ProvisionedPrices:
        """The shipped data, with the stored Price List points when a session is given."""
        dated = DatedPrices.load(session, ITEM_KIND) if session is not None else None
        return cls(cls.shipped_data(), dated)

    def price(
        self, model_id: str, region: str, commitment: str | None, hour: datetime
    ) -> ModelUnitPrice | None:
        """The price of one model unit-hour of ``model_id`` in ``region`` under a commitment."""
        key = commitment_key(commitment)
        dimension = DIMENSIONS.get(key)
        if self._dated is not None and dimension is not None:
            point = self._dated.in_force(ITEM_KIND, model_id, region, dimension, hour)
            if point is not None and point.unit.lower().startswith("hr"):
                return ModelUnitPrice(
                    point.price_usd, point.source, point.effective_from.date().isoformat()
                )
        found = self._shipped.get((model_id, region, key))
        if found is None and region in LIST_PRICE_REGIONS:
            found = self._shipped.get((model_id, ANY_REGION, key))
        return found


def model_unit_cost(
    price: ModelUnitPrice | None, model_units: int, billed_hours: Decimal
) -> Decimal | None:
    """The cost of some model units for some hours, or None when unpriced."""
    if price is None:
        return None
    return (price.hourly * model_units * billed_hours).quantize(MONEY_QUANTUM)
