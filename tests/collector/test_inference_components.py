"""Inference components end to end: the stand-in's SageMaker (moto + demo.inference_components),
moto's CloudWatch, the real runner, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from collector.runner import Runner
from collector.sagemaker import SageMakerCollector
from core.aws import ClientFactory, resolve_targets
from core.models import Endpoint, EndpointHourly
from core.models_vector import InferenceComponentHourly
from core.pricing import InstancePriceCatalog
from core.queries.endpoints import idle_endpoints
from core.settings import parse_config
from demo.inference_components import (
    create_component_endpoint,
    inference_components,
    put_component_invocations,
)
from tests.helpers import Clock

REGION = "us-east-1"
CREATED = datetime(2026, 9, 30, 12, tzinfo=UTC)
NOW = CREATED + timedelta(hours=48)
CONFIG = parse_config(
    """
accounts: [{id: "123456789012", name: ml, team: platform}]
regions: [us-east-1]
""",
    "test.yaml",
)
HOURLY = Decimal("4.89")  # ml.g4dn.12xlarge in us-east-1


@pytest.fixture
def standin(aws):
    with inference_components():
        yield aws


def collect(sessions, clients, start, end):
    collector = SageMakerCollector(CONFIG, clients, InstancePriceCatalog.load())
    runner = Runner(sessions, clients.counter, Clock(NOW))
    targets = resolve_targets(CONFIG.accounts, CONFIG.regions, clients)
    return runner.run(collector, runner.plan(collector, targets, start, end))


def seed() -> None:
    # llama: 3 copies of 1 GPU; mistral: 1 copy of 1 GPU -> 3/4 and 1/4 of the instance
    create_component_endpoint(
        "shared-llm",
        "ml.g4dn.12xlarge",
        1,
        [
            {"name": "llama", "copies": 3, "accelerators": 1, "cpu_cores": 4},
            {"name": "mistral", "copies": 1, "accelerators": 1, "cpu_cores": 8},
        ],
        created_at=CREATED,
        tags={"team": "research"},
    )
    hours = [CREATED + timedelta(hours=h, minutes=5) for h in range(48)]
    put_component_invocations(REGION, [("llama", at, 20) for at in hours])


def test_components_get_their_copies_calls_and_share_and_keep_the_endpoint_out_of_idle(
    standin, sessions
):
    seed()
    clients = ClientFactory()
    result = collect(sessions, clients, CREATED, NOW)
    assert [o.status for o in result.outcomes] == ["succeeded"]
    # one List per endpoint hosting components, one Describe per component (copies live there)
    assert clients.counter.count("sagemaker", "ListInferenceComponents") == 1
    assert clients.counter.count("sagemaker", "DescribeInferenceComponent") == 2
    # two one-day windows, one GetMetricData each (the variant's and the components' 3 series)
    assert clients.counter.count("cloudwatch", "GetMetricData") == 3  # windows cut at midnight

    with sessions() as session:
        endpoint = session.scalars(select(Endpoint)).one()
        assert (endpoint.endpoint_type, endpoint.team) == ("inference-components", "research")
        assert [
            (c["name"], c["copies"], c["accelerators"]) for c in endpoint.inference_components
        ] == [
            ("llama", 3, 1),
            ("mistral", 1, 1),
        ]
        hours = session.scalars(select(EndpointHourly)).all()
        assert len(hours) == 48
        assert {(h.component_invocations, h.estimated_cost_usd) for h in hours} == {(20, HOURLY)}
        parts = session.scalars(select(InferenceComponentHourly)).all()
        by = {(p.component_name, p.hour): p for p in parts}
        assert len(parts) == 96
        first = CREATED
        llama, mistral = by[("llama", first)], by[("mistral", first)]
        assert (llama.copies, llama.invocations, llama.cost_share) == (3, 20, Decimal("0.75"))
        assert (mistral.copies, mistral.invocations, mistral.cost_share) == (1, 0, Decimal("0.25"))
        assert llama.estimated_cost_usd == Decimal("3.6675")
        assert mistral.estimated_cost_usd == Decimal("1.2225")
        assert llama.priced and mistral.priced
        # the endpoint is called through its components: not idle
        assert idle_endpoints(session, Decimal(1), at=NOW) == []

    # re-collecting changes nothing
    def contents():
        with sessions() as session:
            return sorted(
                (
                    p.component_name,
                    p.hour,
                    p.copies,
                    p.invocations,
                    p.cost_share,
                    p.estimated_cost_usd,
                )
                for p in session.scalars(select(InferenceComponentHourly))
            )

    before = contents()
    collect(sessions, ClientFactory(), CREATED, NOW)
    assert contents() == before
