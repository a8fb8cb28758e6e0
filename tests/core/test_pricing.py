from decimal import Decimal

import pytest

from core.pricing import PriceCatalog, TokenUsage, estimate_cost, foundation_model_id
from core.settings import PriceOverride

SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"


@pytest.fixture(scope="module")
def catalog() -> PriceCatalog:
    return PriceCatalog.load()


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        (SONNET, SONNET),
        (f"us.{SONNET}", SONNET),
        (f"eu.{SONNET}", SONNET),
        (f"apac.{SONNET}", SONNET),
        (f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}", SONNET),
        (f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET}", SONNET),
        ("amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
        (f"global.{SONNET}", SONNET),
        (f"in.{SONNET}", SONNET),
        (f"us-gov.{SONNET}", SONNET),
    ],
)
def test_foundation_model_id(model_id, expected):
    assert foundation_model_id(model_id) == expected


def test_every_entry_of_our_own_data_has_a_sane_price_and_a_source(catalog):
    data = catalog._models
    assert len(data) >= 15
    for model_id, regional in data.items():
        for price in regional.values():
            assert price.input >= 0 and price.output >= 0, model_id
            assert price.source.startswith("https://"), model_id
            assert price.as_of, model_id


def test_price_lookup_through_profiles_and_suffixes(catalog):
    base = catalog.price(SONNET, "us-east-1")
    assert base is not None and base.input == Decimal("3.00") and base.cache_read == Decimal("0.30")
    assert catalog.price(f"us.{SONNET}", "eu-west-1") == base
    assert catalog.price("anthropic.claude-v2:1:200k", "us-east-1").input == Decimal("8.00")
    assert catalog.price("mystery.model-v9", "us-east-1") is None
    assert "mystery.model-v9" not in catalog


def test_estimate_cost_with_cache_tokens(catalog):
    price = catalog.price(SONNET, "us-east-1")
    usage = TokenUsage(
        input_tokens=1_000_000,
        output_tokens=200_000,
        cache_read_tokens=500_000,
        cache_write_tokens=100_000,
    )
    # 1M*3 + 0.2M*15 + 0.5M*0.30 + 0.1M*3.75 = 3 + 3 + 0.15 + 0.375
    assert estimate_cost(price, usage) == Decimal("6.525000")


def test_unknown_model_or_missing_cache_price_is_unpriced_not_zero(catalog):
    assert estimate_cost(None, TokenUsage(input_tokens=10)) is None
    haiku3 = catalog.price("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1")
    assert haiku3.cache_read is None
    assert estimate_cost(haiku3, TokenUsage(input_tokens=10, cache_read_tokens=5)) is None
    assert estimate_cost(haiku3, TokenUsage(input_tokens=4_000_000)) == Decimal("1.000000")


def test_config_override_wins_in_its_regions_only():
    override = PriceOverride(input_per_mtok=2.7, output_per_mtok=13.5, regions=["us-east-1"])
    catalog = PriceCatalog.load({SONNET: override})
    assert catalog.price(SONNET, "us-east-1").input == Decimal("2.7")
    assert catalog.price(SONNET, "us-east-1").source == "config: pricing.overrides"
    assert catalog.price(SONNET, "us-west-2").input == Decimal("3.00")


def test_regional_entry_wins_over_default():
    data = {
        "source": "https://example.test/prices",
        "as_of": "2026-01-01",
        "models": {
            "x.model-v1": {
                "default": {"input": 1, "output": 2},
                "regions": {"eu-west-3": {"input": 1.2, "output": 2.4}},
            }
        },
    }
    catalog = PriceCatalog.from_data(data)
    assert catalog.price("x.model-v1", "eu-west-3").input == Decimal("1.2")
    assert catalog.price("x.model-v1", "us-east-1").input == Decimal("1")
