from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.pricing import InstancePrice, InstancePriceCatalog, instance_hours_cost
from core.pricing.dated import DatedInstancePrices, DatedPrices, Point, per_gb_second
from core.settings import InstanceOverride

GENAI_FAMILIES = ("g4dn", "g5", "g6", "p4d", "p5", "inf2", "trn1", "m5", "c5", "t2")


@pytest.fixture(scope="module")
def catalog() -> InstancePriceCatalog:
    return InstancePriceCatalog.load()


def test_every_entry_has_a_positive_price_a_source_and_a_date(catalog):
    assert len(catalog.instance_types()) >= 50
    for instance_type in catalog.instance_types():
        assert instance_type.startswith("ml."), instance_type
        for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
            price = catalog.price(instance_type, region)
            assert price is not None and price.hourly > 0, instance_type
            assert "https://" in price.source and price.as_of, instance_type


def test_a_region_without_its_own_price_says_it_falls_back_to_the_us_east_1_list_price(catalog):
    home = catalog.price("ml.c5.9xlarge", "us-east-1")
    abroad = catalog.price("ml.c5.9xlarge", "ap-southeast-2")
    assert abroad.hourly == home.hourly
    assert abroad.source == f"us-east-1 list price ({home.source})"
    assert catalog.price("ml.c5.9xlarge", "us-west-2") == home  # same list price there


def test_the_g4dn_and_g6_hosting_prices_are_the_price_list_s(catalog):
    hourly = {
        size: catalog.price(f"ml.g4dn.{size}", "us-east-1").hourly
        for size in ("2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
    }
    assert hourly == {
        "2xlarge": Decimal("0.94"),
        "4xlarge": Decimal("1.505"),
        "8xlarge": Decimal("2.72"),
        "12xlarge": Decimal("4.89"),
        "16xlarge": Decimal("5.44"),
    }
    assert catalog.price("ml.g6.xlarge", "us-east-1").hourly == Decimal("1.1267")


@pytest.mark.parametrize("family", GENAI_FAMILIES)
def test_the_generative_ai_families_are_known(catalog, family):
    assert any(t.split(".")[1] == family for t in catalog.instance_types())


def test_bigger_sizes_cost_more_within_a_family(catalog):
    for family, sizes in {
        "g5": ["xlarge", "2xlarge", "4xlarge", "12xlarge", "48xlarge"],
        "m5": ["large", "xlarge", "2xlarge", "4xlarge"],
    }.items():
        prices = [catalog.price(f"ml.{family}.{size}", "us-east-1").hourly for size in sizes]
        assert prices == sorted(prices) and len(set(prices)) == len(prices)


def test_a_region_entry_wins_over_the_default(catalog):
    default = catalog.price("ml.g5.xlarge", "us-east-1")
    assert default.hourly == Decimal("1.408")
    assert catalog.price("ml.g5.xlarge", "eu-west-1").hourly > default.hourly
    assert catalog.price("ml.g5.xlarge", "us-west-2") == default  # no entry: the default


def test_an_unknown_type_is_unpriced_not_free(catalog):
    assert "ml.x99.huge" not in catalog
    assert catalog.price("ml.x99.huge", "us-east-1") is None
    assert instance_hours_cost(None, Decimal(10)) is None


def test_from_data_takes_per_entry_sources_and_the_cost_is_exact():
    catalog = InstancePriceCatalog.from_data(
        {
            "source": "https://example.com/prices",
            "as_of": "2025-01-01",
            "instances": {
                "ml.a.large": {
                    "default": 0.1,
                    "regions": {
                        "eu-west-1": {
                            "hourly": 0.3,
                            "source": "https://example.com/eu",
                            "as_of": "2025-02-01",
                        }
                    },
                },
                "ml.b.large": 0.25,
            },
        }
    )
    assert catalog.price("ml.a.large", "eu-west-1") == InstancePrice(
        Decimal("0.3"), "https://example.com/eu", "2025-02-01"
    )
    assert catalog.price("ml.b.large", "us-east-1") == InstancePrice(
        Decimal("0.25"), "https://example.com/prices", "2025-01-01"
    )
    assert instance_hours_cost(
        catalog.price("ml.a.large", "us-east-1"), Decimal("0.333333") * 3
    ) == Decimal("0.100000")


def _point(day: str, usd: str, unit: str = "Hrs") -> Point:
    return Point(datetime.fromisoformat(f"{day}T00:00:00+00:00"), Decimal(usd), unit, f"pl {day}")


def test_the_point_in_force_wins_over_the_catalog_and_an_override_over_both(catalog):
    key = ("instance", "ml.g5.4xlarge", "eu-west-1", "hourly")
    dated = DatedPrices({key: [_point("2025-09-01", "2.27"), _point("2025-10-15", "2.50")]})
    prices = DatedInstancePrices(catalog, dated)
    before = datetime(2025, 10, 14, 23, tzinfo=UTC)
    assert prices.price("ml.g5.4xlarge", "eu-west-1", before) == InstancePrice(
        Decimal("2.27"), "pl 2025-09-01", "2025-09-01"
    )
    assert prices.price("ml.g5.4xlarge", "eu-west-1", before + timedelta(hours=1)).hourly == 2.5
    # before the first point, and in a region without points: the catalog
    early = datetime(2025, 1, 1, tzinfo=UTC)
    assert prices.price("ml.g5.4xlarge", "eu-west-1", early) == catalog.price(
        "ml.g5.4xlarge", "eu-west-1"
    )
    assert prices.price("ml.g5.4xlarge", "eu-central-1", before).hourly == Decimal("2.4532")
    overrides = {"ml.g5.4xlarge": InstanceOverride(hourly=2.0, regions=["eu-west-1"])}
    overridden = DatedInstancePrices(catalog, dated, overrides)
    assert overridden.price("ml.g5.4xlarge", "eu-west-1", before) == InstancePrice(
        Decimal("2.0"), "config: pricing.instance_overrides", "config"
    )
    assert overridden.price("ml.g5.4xlarge", "us-east-1", before).hourly == Decimal("2.03")


def test_serverless_rates_per_gb_second_from_points_of_either_unit_else_the_catalog(catalog):
    at = datetime(2025, 10, 1, tzinfo=UTC)
    dated = DatedPrices(
        {
            ("serverless", "4GB", "eu-west-1", "compute"): [
                _point("2025-09-01", "0.0000896", "Second")
            ],
            ("serverless", "2GB", "eu-west-1", "compute"): [
                _point("2025-09-01", "0.0000224", "GB-Second")
            ],
        }
    )
    prices = DatedInstancePrices(catalog, dated)
    assert prices.serverless(4096, "eu-west-1", at).per_gb_second == Decimal("0.0000224")
    assert prices.serverless(2048, "eu-west-1", at).per_gb_second == Decimal("0.0000224")
    home = catalog.serverless("us-east-1")
    assert home.per_gb_second == Decimal("0.00002")
    assert prices.serverless(1024, "us-east-1", at) == home
    # no point for 6 GB in eu-west-1: the us-east-1 list rate, and the source says so
    fallback = prices.serverless(6144, "eu-west-1", at)
    assert fallback.per_gb_second == home.per_gb_second
    assert fallback.source == f"us-east-1 list price ({home.source})"
    assert per_gb_second(_point("2025-09-01", "1", "Requests"), Decimal(4)) is None
