"""AWS Price List products -> dated price points (pure): what `prices refresh` stores.

A product is one JSON string of GetProducts' ``PriceList``: ``product.attributes`` say what is
priced (``servicecode``, ``regionCode``, ``usagetype``, ``instanceName``, ``model``...) and
``terms.OnDemand.<offer>.priceDimensions.<rate>`` the price (``unit``, ``pricePerUnit.USD``),
in force from the offer's ``effectiveDate``. Bedrock names models by display name: the mapping
to model ids is data (core/prices/price_list.yaml).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

import yaml

SAGEMAKER = "AmazonSageMaker"
BEDROCK_CODES = ("AmazonBedrock", "AmazonBedrockService", "AmazonBedrockFoundationModels")
# OpenSearch Serverless OCUs are listed under the OpenSearch Service's code (usage types like
# ``USE1-SearchOCU`` / ``USE1-IndexingOCU``, unit OCU-hours); its thousands of domain instance
# products are filtered out at the API (a CONTAINS filter on the usage type)
OPENSEARCH = "AmazonES"
SERVICE_CODES = (SAGEMAKER, *BEDROCK_CODES, OPENSEARCH)
SERVICE_FILTERS: dict[str, tuple[dict[str, str], ...]] = {
    OPENSEARCH: ({"Type": "CONTAINS", "Field": "usagetype", "Value": "OCU"},),
}
# an OCU-hour of search or indexing (not SemanticSearchOCU or others this project does not use)
_OCU = re.compile(r"-(Search|Indexing)OCU$", re.IGNORECASE)
# the Price List Query API answers in us-east-1 (and eu-central-1, ap-south-1)
PRICING_REGION = "us-east-1"
# a usage type's routing scope: global profiles are stored under the key ``global.<model id>``
_SCOPE = re.compile(r"(-cross-region-(global|geo)|_global)(?=-units$|$)", re.IGNORECASE)
_MARKETPLACE_EDITION = " (Amazon Bedrock Edition)"
# serverless inference compute per memory size: ``USE1-ServerlessInf:Mem-4GB``
_SERVERLESS_MEMORY = re.compile(r"ServerlessInf:Mem-(\d+)GB$", re.IGNORECASE)


class MalformedProduct(ValueError):
    """A product that cannot be read as a price: skipped and reported with its SKU."""

    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"{sku} ({reason})")
        self.sku = sku
        self.reason = reason


class UnmappedProduct(ValueError):
    """A well-formed product of something this project does not price (counted, not an error)."""


@dataclass(frozen=True)
class ProductMapping:
    """Bedrock display names -> model ids, and usage type endings -> usage kinds."""

    models: dict[str, str]
    token_kinds: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls) -> ProductMapping:
        """The shipped mapping (core/prices/price_list.yaml)."""
        text = (
            resources.files("core.prices").joinpath("price_list.yaml").read_text(encoding="utf-8")
        )
        data = yaml.safe_load(text)
        return cls(
            models={str(k): str(v) for k, v in data["models"].items()},
            token_kinds=tuple((str(end).lower(), str(kind)) for end, kind in data["token_kinds"]),
        )

    def token_kind(self, usage_type: str) -> str | None:
        """The usage kind a Bedrock usage type prices (input, output, cache_read...), if known."""
        lowered = usage_type.lower()
        return next((kind for end, kind in self.token_kinds if lowered.endswith(end)), None)


def _on_demand(product: dict[str, Any], sku: str) -> tuple[datetime, str, Decimal]:
    """The single on-demand price of a product: effective date, unit, USD per unit."""
    offers = (product.get("terms") or {}).get("OnDemand") or {}
    if not offers:
        raise MalformedProduct(sku, "no on-demand terms")
    offer = next(iter(offers.values()))
    dimensions = list((offer.get("priceDimensions") or {}).values())
    if len(dimensions) != 1:
        raise MalformedProduct(sku, f"{len(dimensions)} price dimensions, expected 1")
    dimension = dimensions[0]
    try:
        usd = dimension["pricePerUnit"]["USD"]
        effective = datetime.fromisoformat(str(offer["effectiveDate"]).replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedProduct(sku, f"no USD price or effective date: {exc!r}") from None
    try:
        price = Decimal(str(usd))
    except InvalidOperation:
        raise MalformedProduct(sku, f"price {usd!r} is not a number") from None
    if not price.is_finite() or price < 0:
        raise MalformedProduct(sku, f"price {price} is not a non-negative number")
    if effective.tzinfo is None:
        effective = effective.replace(tzinfo=UTC)
    return effective.astimezone(UTC), str(dimension.get("unit", "")), price


def _item(attributes: dict[str, str], mapping: ProductMapping) -> tuple[str, str, str]:
    """What a product prices: (item kind, item key, usage kind)."""
    service = attributes.get("servicecode", "")
    usage_type = attributes.get("usagetype", "")
    if service == OPENSEARCH:
        ocu = _OCU.search(usage_type)
        if ocu is None:
            raise UnmappedProduct(f"OpenSearch {usage_type}")
        # stored as core.pricing.ocu reads them: item kind ocu, one key, search or indexing
        return "ocu", "opensearch-serverless", ocu.group(1).lower()
    if service == SAGEMAKER:
        memory = _SERVERLESS_MEMORY.search(usage_type)
        if memory:
            # stored per memory size as listed; dated.per_gb_second reads its unit
            return "serverless", f"{int(memory.group(1))}GB", "compute"
        if attributes.get("component") == "Hosting" and attributes.get("instanceName"):
            return "instance", attributes["instanceName"], "hourly"
        raise UnmappedProduct(f"SageMaker {attributes.get('component')} {usage_type}")
    name = (
        attributes.get("model")
        or attributes.get("titanModel")
        or attributes.get("servicename", "").removesuffix(_MARKETPLACE_EDITION)
    )
    model_id = mapping.models.get(name)
    scope = _SCOPE.search(usage_type)
    kind = mapping.token_kind(_SCOPE.sub("", usage_type))
    if model_id is None or kind is None:
        raise UnmappedProduct(f"{service} {name!r} {usage_type}")
    if scope and scope.group(0).lower().endswith("global"):
        model_id = f"global.{model_id}"
    return ("provisioned" if kind == "model_unit_hour" else "token"), model_id, kind


def parse_product(text: str, mapping: ProductMapping, fetched_at: datetime) -> dict[str, Any]:
    """One PriceList entry -> one price_points row; MalformedProduct or UnmappedProduct if not."""
    try:
        product = json.loads(text)
        sku = str(product["product"]["sku"])
        attributes = product["product"]["attributes"]
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedProduct("(unknown sku)", f"not a Price List product: {exc!r}") from None
    if not isinstance(attributes, dict) or not attributes.get("regionCode"):
        raise MalformedProduct(sku, "no regionCode attribute")
    effective, unit, price = _on_demand(product, sku)
    item_kind, item_key, dimension = _item(attributes, mapping)
    return {
        "item_kind": item_kind,
        "item_key": item_key,
        "region": attributes["regionCode"],
        "dimension": dimension,
        "effective_from": effective,
        "unit": unit,
        "price_usd": price,
        "source": f"aws-price-list {attributes.get('servicecode', '?')} sku {sku}",
        "fetched_at": fetched_at,
    }
