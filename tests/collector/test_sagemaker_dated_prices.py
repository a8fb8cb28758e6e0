"""SageMaker endpoint-hours priced from the stored AWS Price List points through the collector
(moto, the real runner) on SQLite and Postgres: a regional instance price, a price change on
day D, config overrides, and serverless endpoints per GB-second of their ModelLatency."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.aws import ClientFactory, Target
from core.models import EndpointHourly
from core.pricing.dated import store_points
from core.pricing.price_list import (
    MalformedProduct,
    ProductMapping,
    UnmappedProduct,
    parse_product,
)
from core.settings import parse_config
from demo.price_list import products
from demo.seed import create_sagemaker_endpoint, put_sagemaker_invocations, put_sagemaker_metric
from tests.collector.test_sagemaker_collect import ACCOUNT, collect
from tests.collector.test_sagemaker_pricing import hours_of as sagemaker_hours

DAY_D = datetime(2026, 10, 15, tzinfo=UTC)
CREATED = DAY_D - timedelta(hours=3)
END = DAY_D + timedelta(hours=3)


def config(region: str, overrides: str = ""):
    return parse_config(
        f"""
accounts: [{{id: "{ACCOUNT}", name: ml, team: platform}}]
regions: [{region}]
teams: [{{name: platform}}]
{overrides}
""",
        "test.yaml",
    )


def store_price_list(sessions, price_change: str | None = None) -> None:
    """What `prices refresh` stores from the stand-in's products (before and after a change)."""
    mapping = ProductMapping.load()
    rows = []
    for served in products(price_change):
        try:
            rows.append(parse_product(json.dumps(served), mapping, DAY_D))
        except (MalformedProduct, UnmappedProduct):
            continue
    with sessions.begin() as session:
        store_points(session, rows)


def hours_of(sessions, name: str) -> list[tuple]:
    return sagemaker_hours(
        sessions,
        name,
        EndpointHourly.hour,
        EndpointHourly.service_hours,
        EndpointHourly.inference_seconds,
        EndpointHourly.estimated_cost_usd,
        EndpointHourly.priced,
    )


def g5_endpoint(region: str) -> ClientFactory:
    """An endpoint on ml.g5.4xlarge: moto refuses that type on CreateEndpointConfig, so the
    endpoint is made on ml.m5.xlarge and DescribeEndpointConfig answers the type AWS would."""
    create_sagemaker_endpoint(
        "g5",
        [{"name": "AllTraffic", "instance_type": "ml.m5.xlarge"}],
        created_at=CREATED,
        region=region,
    )
    factory = ClientFactory()

    def g5_config(parsed, **_):
        for variant in parsed.get("ProductionVariants", []):
            variant["InstanceType"] = "ml.g5.4xlarge"

    factory.client("sagemaker", Target(ACCOUNT, region)).meta.events.register(
        "after-call.sagemaker.DescribeEndpointConfig", g5_config
    )
    return factory


def test_an_eu_west_1_instance_is_priced_at_its_regional_point_and_a_change_on_day_d_keeps_earlier_hours(
    aws, sessions
):
    store_price_list(sessions)
    store_price_list(sessions, price_change=DAY_D.date().isoformat())
    factory = g5_endpoint("eu-west-1")
    result = collect(sessions, factory, END, CREATED, END, config=config("eu-west-1"))
    assert [o.status for o in result.outcomes] == ["succeeded"]
    hours = hours_of(sessions, "g5")
    # the catalog says 2.2688 for eu-west-1; the Price List point (2.27, then 2.50 from D) wins
    assert [(h[0], h[3], h[4]) for h in hours] == [
        (CREATED, Decimal("2.270000"), True),
        (CREATED + timedelta(hours=1), Decimal("2.270000"), True),
        (CREATED + timedelta(hours=2), Decimal("2.270000"), True),
        (DAY_D, Decimal("2.500000"), True),
        (DAY_D + timedelta(hours=1), Decimal("2.500000"), True),
        (DAY_D + timedelta(hours=2), Decimal("2.500000"), True),
    ]
    assert all(h[1] == 1 and h[2] is None for h in hours)


def test_without_price_points_the_catalog_prices_and_config_overrides_win_over_both(aws, sessions):
    factory = g5_endpoint("eu-west-1")
    collect(sessions, factory, END, CREATED, END, config=config("eu-west-1"))
    assert {h[3] for h in hours_of(sessions, "g5")} == {Decimal("2.268800")}  # the catalog

    store_price_list(sessions)
    overridden = config(
        "eu-west-1",
        "pricing: {instance_overrides: {ml.g5.4xlarge: {hourly: 2.0, regions: [eu-west-1]}}}",
    )
    with sessions.begin() as session:
        session.query(EndpointHourly).delete()
    collect(sessions, factory, END, CREATED, END, config=overridden)
    assert {h[3] for h in hours_of(sessions, "g5")} == {Decimal("2.000000")}


def serverless_endpoint(region: str, memory_mb: int) -> None:
    create_sagemaker_endpoint(
        "sls",
        [{"name": "AllTraffic", "serverless": {"MemorySizeInMB": memory_mb, "MaxConcurrency": 5}}],
        created_at=CREATED,
        region=region,
    )
    first = CREATED + timedelta(minutes=10)
    # hour 0: two calls of 1.5 s and 2.25 s; hour 1: none; hour 2: one call of 0.8 s
    latency = [
        ("sls", "AllTraffic", first, 1_500_000),
        ("sls", "AllTraffic", first + timedelta(minutes=5), 2_250_000),
        ("sls", "AllTraffic", first + timedelta(hours=2), 800_000),
    ]
    put_sagemaker_metric(region, "ModelLatency", latency)
    put_sagemaker_invocations(region, [(name, v, at, 1) for name, v, at, _ in latency])


def test_a_serverless_hour_costs_its_duration_times_memory_gb_times_the_catalog_rate(aws, sessions):
    serverless_endpoint("us-east-1", 4096)
    factory = ClientFactory()
    result = collect(sessions, factory, END, CREATED, END, config=config("us-east-1"))
    assert [o.status for o in result.outcomes] == ["succeeded"]
    # ModelLatency rides in each window's one GetMetricData call: no call of its own
    assert result.outcomes[0].windows_done == 2  # the window is a day; D starts the second
    assert factory.counter.count("cloudwatch", "GetMetricData") == 2
    hours = hours_of(sessions, "sls")[:3]
    rate = Decimal("0.00002")  # us-east-1, USD per GB-second (core/prices/sagemaker.yaml)
    assert [(h[2], h[3], h[4]) for h in hours] == [
        (Decimal("3.750000"), (Decimal("3.75") * 4 * rate).quantize(Decimal("0.000001")), True),
        (Decimal("0"), Decimal("0"), True),
        (Decimal("0.800000"), (Decimal("0.8") * 4 * rate).quantize(Decimal("0.000001")), True),
    ]
    assert hours[0][3] == Decimal("0.000300")


def test_a_serverless_hour_in_eu_west_1_is_priced_at_the_regional_price_list_point(aws, sessions):
    store_price_list(sessions)
    serverless_endpoint("eu-west-1", 2048)
    collect(sessions, ClientFactory(), END, CREATED, END, config=config("eu-west-1"))
    hours = hours_of(sessions, "sls")
    # the stand-in's EU-ServerlessInf:Mem-2GB: 0.0000448 per second of 2 GB
    assert (hours[0][2], hours[0][3], hours[0][4]) == (
        Decimal("3.750000"),
        (Decimal("3.75") * Decimal("0.0000448")).quantize(Decimal("0.000001")),
        True,
    )
    assert hours[0][3] == Decimal("0.000168")


def test_an_hour_row_names_the_source_and_date_of_its_prices():
    from collector.sagemaker_hours import hourly_rows
    from collector.sagemaker_inventory import Described
    from collector.sagemaker_lives import endpoint_life
    from core.pricing import InstancePriceCatalog
    from core.pricing.dated import DatedInstancePrices, DatedPrices, Point
    from core.settings import AttributionConfig

    def life_on(variant: dict, live: dict) -> object:
        described = Described(
            endpoint={
                "EndpointName": "e",
                "EndpointConfigName": "e-config",
                "EndpointStatus": "InService",
                "CreationTime": CREATED,
                "ProductionVariants": [{"VariantName": "AllTraffic", **live}],
            },
            config={
                "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "m", **variant}]
            },
        )
        return endpoint_life(
            described,
            target=Target(ACCOUNT, "eu-west-1"),
            attribution=AttributionConfig(),
            seen_at=END,
        )

    point = Point(
        datetime(2025, 9, 1, tzinfo=UTC),
        Decimal("2.27"),
        "Hrs",
        "aws-price-list AmazonSageMaker sku X",
    )
    prices = DatedInstancePrices(
        InstancePriceCatalog.load(),
        DatedPrices({("instance", "ml.g5.4xlarge", "eu-west-1", "hourly"): [point]}),
    )
    instance = life_on({"InstanceType": "ml.g5.4xlarge"}, {"CurrentInstanceCount": 1})
    serverless = life_on({"ServerlessConfig": {"MemorySizeInMB": 2048}}, {})
    rows = hourly_rows(
        [instance, serverless],
        [],
        start=CREATED,
        end=CREATED + timedelta(hours=1),
        snapshot_at=END,
        catalog=prices,
        collected_at=END,
    )
    got = [(row["price_source"], row["price_as_of"]) for _key, row in rows]
    shipped = InstancePriceCatalog.load().serverless("eu-west-1")
    assert got == [
        ("aws-price-list AmazonSageMaker sku X", "2025-09-01"),
        (shipped.source, shipped.as_of),
    ]
    assert shipped.source.startswith("us-east-1 list price (")
