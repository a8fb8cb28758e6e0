"""Every way a Bedrock call is priced: scope, Region, cache tiers, long context, batch, variants."""

from decimal import Decimal

import genai_prices
import pytest

from core.pricing import PriceCatalog, TokenUsage, estimate_cost
from core.pricing.bedrock_ids import GEOGRAPHIC, GLOBAL, IN_REGION, parse_model_id
from core.settings import PriceOverride

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
LLAMA3_8B = "meta.llama3-8b-instruct-v1:0"
LIBRARY = f"genai-prices {genai_prices.__version__}"
OWN = "https://aws.amazon.com/bedrock/pricing/"
MTOK = 1_000_000


@pytest.fixture(scope="module")
def catalog() -> PriceCatalog:
    return PriceCatalog.load()


def rates(price):
    return (price.input, price.output)


@pytest.mark.parametrize("prefix", ["us.", "eu.", "apac.", "jp.", "au.", "us-gov."])
def test_geographic_sonnet_4_5_lists_ten_percent_over_global(catalog, prefix):
    geographic = catalog.price(f"{prefix}{SONNET_45}", "us-east-1")
    assert rates(geographic) == (Decimal("3.30"), Decimal("16.50"))
    assert geographic.source == LIBRARY


def test_global_and_in_region_sonnet_4_5(catalog):
    assert rates(catalog.price(f"global.{SONNET_45}", "us-east-1")) == (Decimal(3), Decimal(15))
    assert rates(catalog.price(SONNET_45, "us-east-1")) == (Decimal("3.30"), Decimal("16.50"))
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.{SONNET_45}"
    assert rates(catalog.price(arn, "us-east-1")) == (Decimal(3), Decimal(15))


def test_one_hour_cache_writes_have_their_own_rate(catalog):
    price = catalog.price(f"global.{SONNET_45}", "us-east-1")
    assert (price.cache_write, price.cache_write_1h) == (Decimal("3.75"), Decimal(6))
    assert estimate_cost(price, TokenUsage(cache_write_tokens=MTOK)) == Decimal("3.75")
    assert estimate_cost(price, TokenUsage(cache_write_1h_tokens=MTOK)) == Decimal(6)
    geographic = catalog.price(f"us.{SONNET_45}", "us-east-1")
    assert estimate_cost(geographic, TokenUsage(cache_write_1h_tokens=MTOK)) == Decimal("6.6")
    # a model without a 1-hour rate leaves such an hour unpriced, never at the 5-minute rate
    haiku35 = catalog.price("anthropic.claude-3-5-haiku-20241022-v1:0", "us-east-1")
    assert estimate_cost(haiku35, TokenUsage(input_tokens=5, cache_write_1h_tokens=5)) is None


def test_regional_prices_are_our_own_data(catalog):
    assert rates(catalog.price(LLAMA3_8B, "eu-west-1")) == (Decimal("0.39"), Decimal("0.78"))
    assert catalog.price(LLAMA3_8B, "eu-west-1").source == OWN
    assert rates(catalog.price(LLAMA3_8B, "sa-east-1")) == (Decimal("0.50"), Decimal("1.01"))
    us = catalog.price(LLAMA3_8B, "us-east-1")
    assert rates(us) == (Decimal("0.3"), Decimal("0.6")) and us.source == LIBRARY


def test_latency_optimized_and_context_length_variants_are_priced(catalog):
    haiku = "anthropic.claude-3-5-haiku-20241022-v1:0"
    optimized = catalog.price(f"us.{haiku}+latency-optimized", "us-east-2")
    assert rates(optimized) == (Decimal("1.00"), Decimal("5.00"))
    assert rates(catalog.price(f"us.{haiku}", "us-east-2")) == (Decimal("0.8"), Decimal(4))
    # no latency-optimized rate known: the model's own price
    assert catalog.price(f"{LLAMA3_8B}+latency-optimized", "us-east-1") == catalog.price(
        LLAMA3_8B, "us-east-1"
    )
    assert catalog.price("cohere.embed-english-v3:0:512", "us-east-1").input == Decimal("0.10")
    assert catalog.price("amazon.titan-embed-text-v2:0:8k", "us-east-1").input == Decimal("0.02")
    assert catalog.price("anthropic.claude-v2:1:18k", "us-east-1").input == Decimal("8.00")
    assert catalog.price("meta.llama3-2-11b-instruct-v1:0:mm", "us-east-1").input == Decimal("0.16")


def test_unknown_model_is_unpriced_in_every_form(catalog):
    for model_id in ("mystery.model-v9", "global.mystery.model-v9", "us.mystery.m-v1:0:512"):
        assert catalog.price(model_id, "us-east-1") is None
        assert estimate_cost(catalog.price(model_id, "us-east-1"), TokenUsage(10)) is None


def test_batch_is_half_price(catalog):
    batch = catalog.price(f"global.{SONNET_45}", "us-east-1", batch=True)
    assert rates(batch) == (Decimal("1.5"), Decimal("7.5"))
    assert batch.cache_write_1h == Decimal(3) and "batch" in batch.source
    assert rates(catalog.price(f"global.{SONNET_45}", "us-east-1")) == (Decimal(3), Decimal(15))


def test_long_context_rates_apply_when_the_usage_says_so(catalog):
    # genai-prices lists this model with a tier from 100k input tokens
    price = catalog.price("global.anthropic.claude-haiku-5-5", "us-east-1")
    assert price.long_context is not None and price.long_context.threshold == 100_000
    usage = TokenUsage(input_tokens=MTOK, output_tokens=MTOK)
    assert estimate_cost(price, usage) == price.input + price.output
    long = TokenUsage(input_tokens=MTOK, output_tokens=MTOK, long_context=True)
    assert estimate_cost(price, long) == price.long_context.input + price.long_context.output
    assert estimate_cost(price, long) > estimate_cost(price, usage)


def test_override_wins_over_library_and_regional_data_in_every_scope():
    overrides = {
        SONNET_45: PriceOverride(input_per_mtok=2.5, output_per_mtok=12),
        LLAMA3_8B: PriceOverride(input_per_mtok=0.2, output_per_mtok=0.4, regions=["eu-west-1"]),
    }
    catalog = PriceCatalog.load(overrides)
    for model_id in (SONNET_45, f"us.{SONNET_45}", f"global.{SONNET_45}"):
        price = catalog.price(model_id, "us-east-1")
        assert rates(price) == (Decimal("2.5"), Decimal(12)) and price.source.startswith("config")
    assert rates(catalog.price(LLAMA3_8B, "eu-west-1")) == (Decimal("0.2"), Decimal("0.4"))
    assert rates(catalog.price(LLAMA3_8B, "eu-west-2")) == (Decimal("0.39"), Decimal("0.78"))


def test_every_model_of_the_former_catalog_is_still_priced(catalog):
    former = [
        "anthropic.claude-instant-v1",
        "anthropic.claude-3-opus-20240229-v1:0",
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "amazon.titan-text-premier-v1:0",
        "meta.llama3-1-405b-instruct-v1:0",
        "mistral.mistral-large-2407-v1:0",
        "cohere.command-r-plus-v1:0",
        "ai21.jamba-1-5-large-v1:0",
        "deepseek.r1-v1:0",
    ]
    assert [m for m in former if catalog.price(m, "us-east-1") is None] == []


@pytest.mark.parametrize(
    ("model_id", "base", "scope", "geography", "latency"),
    [
        (f"global.{SONNET_45}", SONNET_45, GLOBAL, None, False),
        (f"in.{SONNET_45}", SONNET_45, GEOGRAPHIC, "in", False),
        (f"us-gov.{SONNET_45}", SONNET_45, GEOGRAPHIC, "us-gov", False),
        (f"ca.{SONNET_45}", SONNET_45, GEOGRAPHIC, "ca", False),
        (SONNET_45, SONNET_45, IN_REGION, None, False),
        (f"us.{SONNET_45}+latency-optimized", SONNET_45, GEOGRAPHIC, "us", True),
        ("cohere.embed-english-v3:0:512", "cohere.embed-english-v3:0", IN_REGION, None, False),
    ],
)
def test_parse_model_id(model_id, base, scope, geography, latency):
    ref = parse_model_id(model_id)
    assert (ref.base, ref.scope, ref.geography, ref.latency_optimized) == (
        base,
        scope,
        geography,
        latency,
    )


def test_sonnet_4_5_long_context_rates_follow_the_routing_scope(catalog):
    usage = TokenUsage(input_tokens=MTOK, output_tokens=MTOK, long_context=True)
    global_price = catalog.price(f"global.{SONNET_45}", "us-east-1")
    assert global_price.long_context.threshold == 200_000
    assert estimate_cost(global_price, usage) == Decimal("28.50")
    assert estimate_cost(catalog.price(f"us.{SONNET_45}", "us-east-1"), usage) == Decimal("31.35")
    assert estimate_cost(global_price, TokenUsage(MTOK, MTOK)) == Decimal(18)
    assert catalog.price(f"global.{SONNET_45}", "us-east-1", batch=True).long_context is None


def test_a_library_price_is_as_of_its_start_date_or_the_release_not_the_lookup_day():
    from datetime import UTC, datetime

    from core.pricing.library import library_price

    day1, day2 = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
    sonnet = parse_model_id(f"us.{SONNET_45}")
    first, second = library_price(sonnet, day1), library_price(sonnet, day2)
    # no start date in the library's data for it: the release that shipped it, on any day
    assert first.as_of == second.as_of == LIBRARY
    # a price the library dates (from 2026-08-21): its start date, on any day it is in force
    dated = parse_model_id("openai.gpt-5.6-sol")
    assert library_price(dated, day1).as_of == library_price(dated, day2).as_of == "2026-08-21"
    assert library_price(dated, datetime(2026, 8, 1, tzinfo=UTC)).as_of == LIBRARY


def test_two_collections_on_different_days_store_the_same_price_as_of(monkeypatch):
    from datetime import UTC, datetime

    import core.pricing.library as library

    # each collection builds its catalog, which asks the library at the time of the lookup
    seen = []
    for day in (datetime(2026, 11, 24, 23, tzinfo=UTC), datetime(2026, 11, 25, 1, tzinfo=UTC)):

        class Clock(datetime):
            at = day

            @classmethod
            def now(cls, tz=None):
                return cls.at

        monkeypatch.setattr(library, "datetime", Clock)
        fresh = PriceCatalog.load()
        seen.append(
            (
                fresh.price(f"us.{SONNET_45}", "us-east-1").as_of,
                fresh.price("openai.gpt-5.6-sol", "us-east-1").as_of,
            )
        )
    assert seen == [(LIBRARY, "2026-08-21"), (LIBRARY, "2026-08-21")]
