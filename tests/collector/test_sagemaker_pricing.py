"""SageMaker prices through the collector (moto, the real runner) on SQLite and Postgres: the
catalog's hosting price per instance-hour, and a variant on instance pools never stored as $0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from collector.sagemaker_hours import hourly_rows
from collector.sagemaker_inventory import Described
from collector.sagemaker_lives import endpoint_life
from core.aws import ClientFactory, Target
from core.models import Endpoint, EndpointHourly
from core.pricing import InstancePriceCatalog
from core.settings import AttributionConfig
from demo.seed import create_sagemaker_endpoint
from tests.collector.test_sagemaker_collect import ACCOUNT, CREATED, REGION, collect

END = CREATED + timedelta(hours=4)


def hours_of(sessions, name: str, *columns) -> list[tuple]:
    """An endpoint's hours, oldest first: these columns (default: instance type, service hours,
    estimated cost, priced)."""
    columns = columns or (
        EndpointHourly.instance_type,
        EndpointHourly.service_hours,
        EndpointHourly.estimated_cost_usd,
        EndpointHourly.priced,
    )
    with sessions() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(*columns)
                .join(Endpoint, Endpoint.id == EndpointHourly.endpoint_id)
                .where(Endpoint.endpoint_name == name)
                .order_by(EndpointHourly.hour)
            )
        ]


def test_a_g4dn_12xlarge_hour_costs_4_89_in_us_east_1(aws, sessions):
    create_sagemaker_endpoint(
        "big", [{"name": "AllTraffic", "instance_type": "ml.g4dn.12xlarge"}], created_at=CREATED
    )
    result = collect(sessions, ClientFactory(), END, CREATED, END)
    assert [o.status for o in result.outcomes] == ["succeeded"]
    hours = hours_of(sessions, "big")
    assert len(hours) == 4
    assert {h[0] for h in hours} == {"ml.g4dn.12xlarge"}
    assert all(h[2] == Decimal("4.89") * h[1] and h[3] is True for h in hours), hours


POOLS = [
    {"InstanceType": "ml.g5.xlarge", "Priority": 1},
    {"InstanceType": "ml.g6.xlarge", "Priority": 2},
]


def pooled_config(parsed, **_):
    """An after-call hook turning DescribeEndpointConfig's variants into instance-pool variants:
    moto refuses InstancePools on CreateEndpointConfig, AWS answers them like this."""
    for variant in parsed.get("ProductionVariants", []):
        variant.pop("InstanceType", None)
        variant["InstancePools"] = POOLS


def test_an_instance_pool_variant_is_never_stored_at_0_as_priced(aws, sessions):
    create_sagemaker_endpoint(
        "pooled",
        [{"name": "AllTraffic", "instance_type": "ml.g4dn.xlarge", "count": 2}],
        created_at=CREATED,
    )
    factory = ClientFactory()
    factory.client("sagemaker", Target(ACCOUNT, REGION)).meta.events.register(
        "after-call.sagemaker.DescribeEndpointConfig", pooled_config
    )
    result = collect(sessions, factory, END, CREATED, END)
    assert [o.status for o in result.outcomes] == ["succeeded"]
    hours = hours_of(sessions, "pooled")
    assert len(hours) == 4
    # DescribeEndpoint (here moto) does not say how many instances each pool runs: unpriced
    assert all(h[0] == "ml.g5.xlarge,ml.g6.xlarge" for h in hours), hours
    assert all(h[2] is None and h[3] is False for h in hours), hours


def test_instance_pools_with_their_current_counts_are_priced_per_pool():
    described = Described(
        endpoint={
            "EndpointName": "pooled",
            "EndpointConfigName": "pooled-config",
            "EndpointStatus": "InService",
            "CreationTime": CREATED,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "CurrentInstanceCount": 3,
                    "InstancePools": [
                        {"InstanceType": "ml.g5.xlarge", "CurrentInstanceCount": 1},
                        {"InstanceType": "ml.g6.xlarge", "CurrentInstanceCount": 2},
                    ],
                }
            ],
        },
        config={
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstancePools": [
                        {"InstanceType": "ml.g5.xlarge", "Priority": 1},
                        {"InstanceType": "ml.g6.xlarge", "Priority": 2},
                    ],
                }
            ]
        },
    )
    life = endpoint_life(
        described,
        target=Target(ACCOUNT, REGION),
        attribution=AttributionConfig(),
        seen_at=END,
    )
    catalog = InstancePriceCatalog.load()
    rows = hourly_rows(
        [life],
        [],
        start=CREATED,
        end=CREATED + timedelta(hours=1),
        snapshot_at=END,
        catalog=catalog,
        collected_at=datetime(2026, 10, 1, tzinfo=UTC),
    )
    row = rows[0][1]
    expected = (
        catalog.price("ml.g5.xlarge", REGION).hourly
        + 2 * catalog.price("ml.g6.xlarge", REGION).hourly
    )
    assert (row["estimated_cost_usd"], row["priced"], row["instance_count"]) == (
        expected.quantize(Decimal("0.000001")),
        True,
        3,
    )
