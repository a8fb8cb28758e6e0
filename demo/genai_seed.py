"""The demo world's embeddings side and shared capacity, seeded into the stand-in: two vector
stores behind knowledge bases (one searched all day, one nobody searched for ten days), Mantle
traffic, and an endpoint whose inference components share one instance (one called, one not).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.aws import ClientFactory
from core.timeutil import floor_hour
from demo.inference_components import create_component_endpoint, put_component_invocations
from demo.mantle import put_mantle_metrics
from demo.vector_stores import (
    create_collection,
    create_knowledge_base,
    put_collection_requests,
    put_ocu_metrics,
)
from demo.world import activity

REGION = "us-east-1"
MANTLE_MODEL = "openai.gpt-oss-120b-1:0"
IDLE_STORE_QUIET = timedelta(days=10)  # the idle store's last search was this long ago
STORE_AGE = timedelta(days=60)
COMPONENT_ENDPOINT = "research-shared-llm"


def _hours(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start) / timedelta(hours=1))
    return [start + timedelta(hours=h, minutes=4) for h in range(count)]


def seed_vector_stores(now: datetime, start: datetime, clients: ClientFactory) -> int:
    """The two vector stores, their knowledge bases, searches and the account's OCUs."""
    created = max(start, floor_hour(now) - STORE_AGE)
    busy = create_collection(
        "search-kb-vectors", created_at=created, tags={"team": "search"}, clients=clients
    )
    idle = create_collection(
        "support-kb-vectors", created_at=created, tags={"team": "support"}, clients=clients
    )
    create_knowledge_base("search-docs", busy["arn"], clients=clients)
    create_knowledge_base("support-faq", idle["arn"], clients=clients)
    hours = _hours(created, now)
    count = put_ocu_metrics(
        REGION, [(m, at, 1.0) for at in hours for m in ("SearchOCU", "IndexingOCU")], clients
    )
    count += put_collection_requests(
        REGION,
        busy,
        [("SearchRequestRate", at, round(600 * activity(at, True))) for at in hours],
        clients,
    )
    quiet_from = now - IDLE_STORE_QUIET
    count += put_collection_requests(
        REGION,
        idle,
        [
            ("SearchRequestRate", at, round(40 * activity(at, False)) + 1)
            for at in hours
            if at < quiet_from
        ],
        clients,
    )
    return count


def seed_mantle(now: datetime, start: datetime, clients: ClientFactory) -> int:
    """An app calling gpt-oss through the OpenAI-compatible endpoint in office hours."""
    points = []
    for at in _hours(start, now):
        calls = round(10 * activity(at, False))
        if calls:
            points += [
                (MANTLE_MODEL, "Inferences", at, calls),
                (MANTLE_MODEL, "TotalInputTokens", at, calls * 1500),
                (MANTLE_MODEL, "TotalOutputTokens", at, calls * 400),
            ]
    return put_mantle_metrics(REGION, points, clients)


def seed_component_endpoint(now: datetime, start: datetime, clients: ClientFactory) -> int:
    """research's shared GPU endpoint: llama (3 copies) is called, mistral (1 copy) is not."""
    created = max(start, floor_hour(now) - timedelta(days=30)) + timedelta(minutes=17)
    create_component_endpoint(
        COMPONENT_ENDPOINT,
        "ml.g4dn.12xlarge",
        1,
        [
            {"name": "research-llama", "copies": 3, "accelerators": 1, "cpu_cores": 4},
            {"name": "research-mistral", "copies": 1, "accelerators": 1, "cpu_cores": 4},
        ],
        created_at=created,
        region=REGION,
        tags={"team": "research"},
        clients=clients,
    )
    points = [
        ("research-llama", at, round(80 * activity(at, False)) + 1)
        for at in _hours(floor_hour(created) + timedelta(hours=1), now)
    ]
    return put_component_invocations(REGION, points, clients)


def seed_genai(now: datetime, start: datetime, clients: ClientFactory | None = None) -> int:
    """Everything above; returns the CloudWatch datapoints put."""
    factory = clients or ClientFactory()
    return (
        seed_vector_stores(now, start, factory)
        + seed_mantle(now, start, factory)
        + seed_component_endpoint(now, start, factory)
    )
