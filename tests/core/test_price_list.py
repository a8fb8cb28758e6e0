"""Price List products -> price points (pure): kinds, scopes, units, and what is malformed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.pricing.dated import DatedPrices, Point, per_million
from core.pricing.price_list import MalformedProduct, ProductMapping, UnmappedProduct, parse_product
from demo.price_list import bedrock, bedrock_service, marketplace, sagemaker, serverless

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MAPPING = ProductMapping.load()


def parsed(product: dict) -> dict:
    return parse_product(json.dumps(product), MAPPING, NOW)


@pytest.mark.parametrize(
    ("product", "expected"),
    [
        (
            sagemaker("us-east-1", "ml.g4dn.12xlarge", "4.89"),
            ("instance", "ml.g4dn.12xlarge", "us-east-1", "hourly", "Hrs", "4.89"),
        ),
        (
            serverless("us-east-1", 4, "0.00008"),
            ("serverless", "4GB", "us-east-1", "compute", "Second", "0.00008"),
        ),
        (
            bedrock("eu-west-1", "Llama 3 8B Instruct", "input-tokens", "0.00039"),
            ("token", "meta.llama3-8b-instruct-v1:0", "eu-west-1", "input", "1K tokens", "0.00039"),
        ),
        (
            bedrock("us-east-1", "Nova Pro", "output-tokens-batch", "0.0016"),
            ("token", "amazon.nova-pro-v1:0", "us-east-1", "batch_output", "1K tokens", "0.0016"),
        ),
        (
            bedrock_service(
                "us-east-1", "Claude Sonnet 4.5", "output-tokens-cross-region-global", "0.015"
            ),
            (
                "token",
                "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "us-east-1",
                "output",
                "1K tokens",
                "0.015",
            ),
        ),
        (
            marketplace("us-east-1", "Claude Haiku 4.5", "CacheWrite1hInputTokenCount", "2.20"),
            (
                "token",
                "anthropic.claude-haiku-4-5-20251001-v1:0",
                "us-east-1",
                "cache_write_1h",
                "Units",
                "2.20",
            ),
        ),
        (
            bedrock("us-east-1", "Nova Pro", "ProvisionedThroughput-ModelUnits", "21.18"),
            ("provisioned", "amazon.nova-pro-v1:0", "us-east-1", "model_unit_hour", "Hrs", "21.18"),
        ),
    ],
)
def test_products_become_points_of_their_kind_and_scope(product, expected):
    row = parsed(product)
    assert (
        row["item_kind"],
        row["item_key"],
        row["region"],
        row["dimension"],
        row["unit"],
        str(row["price_usd"]),
    ) == expected
    assert row["effective_from"] == datetime(2025, 9, 1, tzinfo=UTC)
    assert (
        row["source"] == f"aws-price-list {product['serviceCode']} sku {product['product']['sku']}"
    )


def _broken(change) -> dict:
    product = bedrock("us-east-1", "Nova Pro", "input-tokens", "0.0008")
    change(product)
    return product


def _offer(product: dict) -> dict:
    return next(iter(product["terms"]["OnDemand"].values()))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p["terms"].pop("OnDemand"), "no on-demand terms"),
        (lambda p: _offer(p)["priceDimensions"].clear(), "0 price dimensions"),
        (lambda p: _offer(p).pop("effectiveDate"), "no USD price or effective date"),
        (lambda p: p["product"]["attributes"].pop("regionCode"), "no regionCode"),
        (
            lambda p: next(iter(_offer(p)["priceDimensions"].values()))["pricePerUnit"].update(
                USD="-1"
            ),
            "not a non-negative number",
        ),
    ],
)
def test_a_malformed_product_names_its_sku_and_why(change, reason):
    product = _broken(change)
    with pytest.raises(MalformedProduct) as caught:
        parsed(product)
    assert caught.value.sku == product["product"]["sku"]
    assert reason in caught.value.reason


def test_a_product_that_is_not_json_is_malformed_and_an_unknown_model_unmapped():
    with pytest.raises(MalformedProduct):
        parse_product("{not json", MAPPING, NOW)
    with pytest.raises(UnmappedProduct):
        parsed(marketplace("us-east-1", "Some Future Model", "InputTokenCount", "1"))


def test_the_point_in_force_is_the_latest_one_not_after_the_hour():
    old = Point(datetime(2025, 9, 1, tzinfo=UTC), Decimal("0.0003"), "1K tokens", "a")
    new = Point(datetime(2025, 10, 15, tzinfo=UTC), Decimal("0.0004"), "1K tokens", "b")
    prices = DatedPrices({("token", "m", "us-east-1", "input"): [new, old]})
    key = ("token", "m", "us-east-1", "input")
    assert prices.in_force(*key, datetime(2025, 8, 31, 23, tzinfo=UTC)) is None
    assert prices.in_force(*key, datetime(2025, 10, 14, 23, tzinfo=UTC)) == old
    assert prices.in_force(*key, datetime(2025, 10, 15, tzinfo=UTC)) == new
    assert (
        prices.in_force("token", "m", "eu-west-1", "input", datetime(2026, 1, 1, tzinfo=UTC))
        is None
    )
    assert per_million(new) == Decimal("0.4000")
    assert per_million(Point(new.effective_from, Decimal(1), "Requests", "c")) is None


def test_nova_through_eu_and_apac_profiles_and_govcloud_is_priced_at_the_source_regions_point():
    from core.pricing import PriceCatalog
    from core.pricing.dated import DatedTokenPrices
    from demo.price_list import products

    rows = []
    for served in products():
        try:
            rows.append(parsed(served))
        except (MalformedProduct, UnmappedProduct):
            continue
    grouped: dict = {}
    for row in rows:
        key = (row["item_kind"], row["item_key"], row["region"], row["dimension"])
        grouped.setdefault(key, []).append(
            Point(row["effective_from"], row["price_usd"], row["unit"], row["source"])
        )
    prices = DatedTokenPrices(PriceCatalog.load(), DatedPrices(grouped))
    at = datetime(2025, 10, 1, tzinfo=UTC)
    rates = {
        (model, region): (price.input, price.output, price.source.startswith("aws-price-list"))
        for model, region in [
            ("eu.amazon.nova-pro-v1:0", "eu-central-1"),
            ("apac.amazon.nova-lite-v1:0", "ap-northeast-1"),
            ("us-gov.amazon.nova-pro-v1:0", "us-gov-west-1"),
            ("amazon.nova-pro-v1:0", "us-gov-west-1"),
        ]
        if (price := prices.price(model, region, at)) is not None
    }
    assert rates == {
        ("eu.amazon.nova-pro-v1:0", "eu-central-1"): (Decimal("1.05"), Decimal("4.2"), True),
        ("apac.amazon.nova-lite-v1:0", "ap-northeast-1"): (Decimal("0.08"), Decimal("0.32"), True),
        ("us-gov.amazon.nova-pro-v1:0", "us-gov-west-1"): (Decimal("0.96"), Decimal("3.84"), True),
        ("amazon.nova-pro-v1:0", "us-gov-west-1"): (Decimal("0.96"), Decimal("3.84"), True),
    }
