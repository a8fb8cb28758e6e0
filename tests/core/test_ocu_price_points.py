"""OpenSearch Serverless OCU-hour prices from the Price List: parsed, stored on SQLite and
Postgres, and preferred over the shipped file when the vector store hours are costed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.pricing.dated import store_points
from core.pricing.ocu import OcuPrice, OcuPrices, split_ocu_cost
from core.pricing.price_list import ProductMapping, UnmappedProduct, parse_product
from demo.price_list import opensearch

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = datetime(2026, 3, 1, 10, tzinfo=UTC)


def parsed(product: dict) -> dict:
    return parse_product(json.dumps(product), ProductMapping.load(), NOW)


def test_ocu_products_are_search_and_indexing_points_and_nothing_else_of_opensearch():
    search = parsed(opensearch("us-east-1", "SearchOCU", "OCU-hours", "0.24"))
    indexing = parsed(opensearch("eu-west-1", "IndexingOCU", "OCU-hours", "0.26"))
    assert [
        (p["item_kind"], p["item_key"], p["region"], p["dimension"], p["unit"], p["price_usd"])
        for p in (search, indexing)
    ] == [
        ("ocu", "opensearch-serverless", "us-east-1", "search", "OCU-hours", Decimal("0.24")),
        ("ocu", "opensearch-serverless", "eu-west-1", "indexing", "OCU-hours", Decimal("0.26")),
    ]
    assert search["source"].startswith("aws-price-list AmazonES sku ")
    for usage in ("ESInstance:r6g.large", "SemanticSearchOCU"):
        with pytest.raises(UnmappedProduct):
            parsed(opensearch("us-east-1", usage, "Hrs", "0.167"))


def test_a_stored_point_wins_over_the_shipped_price_from_its_day(sessions):
    points = [
        parsed(opensearch("us-west-2", "SearchOCU", "OCU-hours", "0.30")),
        parsed(opensearch("us-west-2", "IndexingOCU", "OCU-hours", "0.25")),
    ]
    with sessions.begin() as session:
        assert store_points(session, points) == (2, 2)
    with sessions() as session:
        prices = OcuPrices.load(session)
    shipped = OcuPrices.shipped().price("us-west-2", HOUR)
    assert shipped is not None and shipped.usd == Decimal("0.24")
    search, indexing = prices.price("us-west-2", HOUR), prices.price("us-west-2", HOUR, "indexing")
    assert (search.usd, indexing.usd) == (Decimal("0.30"), Decimal("0.25"))
    assert search.source.startswith("aws-price-list AmazonES")
    # before the point's effective day, and where none is stored, the shipped file prices
    before = prices.price("us-west-2", datetime(2025, 1, 1, tzinfo=UTC))  # point: 2025-09-01
    assert before == OcuPrices.shipped().price("us-west-2", datetime(2025, 1, 1, tzinfo=UTC))
    assert prices.price("us-east-1", HOUR) == OcuPrices.shipped().price("us-east-1", HOUR)
    # 3 search and 1 indexing OCU-hours at their own prices
    cost, source = split_ocu_cost(Decimal(3), Decimal(1), (search, indexing))
    assert cost == Decimal("1.150000")
    assert source == f"{search.source}; {indexing.source}"


def test_equal_prices_cost_the_hours_once_and_unpriced_hours_are_unknown():
    price = OcuPrice(Decimal("0.24"), HOUR, "shipped")
    assert split_ocu_cost(Decimal("1.5"), Decimal("0.5"), (price, price)) == (
        Decimal("0.480000"),
        "shipped",
    )
    assert split_ocu_cost(Decimal(1), Decimal(1), (price, None)) == (None, None)
    assert split_ocu_cost(Decimal(1), Decimal(0), (price, None)) == (Decimal("0.240000"), "shipped")
