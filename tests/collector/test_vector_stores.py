"""The vector stores source end to end: moto's OpenSearch Serverless, bedrock-agent and
CloudWatch, the real runner, the idle rule and the waste query, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
from botocore.config import Config
from botocore.stub import Stubber
from sqlalchemy import select

from alerts.service import evaluate_once
from alerts.snapshot_source import build_snapshot
from collector.runner import Runner
from collector.vector_stores import VectorStoresCollector
from core.aws import ClientFactory, Target, resolve_targets
from core.models import Alert
from core.models_vector import VectorStore, VectorStoreHourly
from core.queries.waste_row import WASTE_FIELDS
from core.queries.waste_vector_stores import idle_vector_stores
from core.settings import parse_config
from demo.vector_stores import (
    create_collection,
    create_knowledge_base,
    delete_collection,
    put_collection_requests,
    put_ocu_metrics,
)
from tests.helpers import Clock, OverridingFactory

ACCOUNT = "123456789012"
REGION = "us-east-1"
CREATED = datetime(2026, 9, 20, tzinfo=UTC)
START = datetime(2026, 9, 30, tzinfo=UTC)
T1 = datetime(2026, 10, 6, tzinfo=UTC)  # the first cycle
T2 = datetime(2026, 10, 6, 6, tzinfo=UTC)  # the cycle that finds kb-gone deleted
NEW_CREATED = datetime(2026, 10, 8, tzinfo=UTC)
NOW = datetime(2026, 10, 10, 12, tzinfo=UTC)
LAST_IDLE_SEARCH = datetime(2026, 10, 1, 12, tzinfo=UTC)  # searches up to 11:05

CONFIG = parse_config(
    f"""
accounts: [{{id: "{ACCOUNT}", name: ml, team: platform}}]
regions: [{REGION}]
teams: [{{name: search}}, {{name: support}}, {{name: platform}}]
alerts:
  default_route: [log]
  rules: [{{kind: idle_vector_store}}]
notifiers: {{log: {{type: log}}}}
""",
    "test.yaml",
)


def hourly(start: datetime, end: datetime, minute: int = 5) -> list[datetime]:
    hours = int((end - start) / timedelta(hours=1))
    return [start + timedelta(hours=h, minutes=minute) for h in range(hours)]


def seed() -> dict[str, dict]:
    """Four collections: idle (behind a knowledge base), busy, new, and one deleted later."""
    idle = create_collection("kb-idle", created_at=CREATED, tags={"team": "support"})
    busy = create_collection("kb-busy", created_at=CREATED, tags={"team": "search"})
    gone = create_collection("kb-gone", created_at=CREATED)
    new = create_collection("kb-new", created_at=NEW_CREATED, tags={"team": "search"})
    create_knowledge_base("support-docs", idle["arn"])
    create_knowledge_base("search-docs", busy["arn"])
    every_hour = hourly(START, NOW + timedelta(hours=3))
    put_ocu_metrics(
        REGION, [(m, at, 1.0) for at in every_hour for m in ("SearchOCU", "IndexingOCU")]
    )
    put_collection_requests(REGION, busy, [("SearchRequestRate", at, 30) for at in every_hour])
    put_collection_requests(
        REGION,
        idle,
        [("SearchRequestRate", at, 4) for at in hourly(START, LAST_IDLE_SEARCH)]
        + [("IngestionRequestRate", START + timedelta(minutes=7), 12)],
    )
    return {"idle": idle, "busy": busy, "gone": gone, "new": new}


def collect(sessions, clients, now, start=None, end=None):
    collector = VectorStoresCollector(CONFIG, clients)
    runner = Runner(sessions, clients.counter, Clock(now))
    targets = resolve_targets(CONFIG.accounts, CONFIG.regions, clients)
    return runner.run(collector, runner.plan(collector, targets, start, end))


def collect_history(sessions, seeded, clients) -> None:
    """The first cycle at T1, kb-gone deleted, a cycle at T2, and one at NOW."""
    collect(sessions, clients, T1, START, T1)
    delete_collection(seeded["gone"]["id"])
    collect(sessions, clients, T2, T1, T2)
    collect(sessions, clients, NOW, T1, NOW)


def stores(sessions) -> dict[str, VectorStore]:
    with sessions() as session:
        return {store.name: store for store in session.scalars(select(VectorStore))}


def hours_of(sessions) -> dict[tuple[str, datetime], VectorStoreHourly]:
    with sessions() as session:
        names = dict(session.execute(select(VectorStore.id, VectorStore.name)).all())
        return {
            (names[row.vector_store_id], row.hour): row
            for row in session.scalars(select(VectorStoreHourly))
        }


def table_contents(sessions) -> list[tuple]:
    with sessions() as session:
        rows = session.scalars(select(VectorStoreHourly)).all()
        listed = session.scalars(select(VectorStore)).all()
        return sorted(
            (r.vector_store_id, r.hour, r.search_requests, r.ocu_share, r.estimated_cost_usd)
            for r in rows
        ) + sorted((s.collection_id, s.deleted_at, s.team, str(s.knowledge_bases)) for s in listed)


def cost(sessions, name: str, start: datetime, end: datetime) -> Decimal:
    return sum(
        (
            row.estimated_cost_usd
            for (store, hour), row in hours_of(sessions).items()
            if store == name and start <= hour < end
        ),
        Decimal(0),
    )


def test_collections_are_inventoried_attributed_and_costed_and_a_deleted_one_keeps_its_history(
    aws, sessions
):
    seeded = seed()
    clients = ClientFactory()
    first = collect(sessions, clients, T1, START, T1)
    assert [o.status for o in first.outcomes] == ["succeeded"]
    # the API minimum: one inventory per target and cycle, one GetMetricData per window (8 series)
    assert clients.counter.snapshot() == {
        "opensearchserverless:ListCollections": 1,
        "opensearchserverless:BatchGetCollection": 1,
        "opensearchserverless:ListTagsForResource": 4,  # one per collection listed
        "bedrock-agent:ListKnowledgeBases": 1,
        "bedrock-agent:GetKnowledgeBase": 2,
        "cloudwatch:GetMetricData": 6,  # six one-day windows
    }
    delete_collection(seeded["gone"]["id"])
    collect(sessions, clients, T2, T1, T2)
    collect(sessions, clients, NOW, T1, NOW)

    found = stores(sessions)
    assert {name: (s.team, s.deleted_at) for name, s in found.items()} == {
        "kb-idle": ("support", None),
        "kb-busy": ("search", None),
        "kb-gone": ("platform", T2),  # untagged: the account's team
        "kb-new": ("search", None),
    }
    assert [kb["name"] for kb in found["kb-idle"].knowledge_bases] == ["support-docs"]
    assert found["kb-gone"].knowledge_bases == []
    assert found["kb-idle"].created_at == CREATED

    rows = hours_of(sessions)
    # 2 OCU-hours an hour at $0.24: three collections share $0.48, then two, then three again
    assert rows[("kb-idle", START)].account_search_ocu_hours == Decimal("1")
    assert rows[("kb-idle", START)].ingestion_requests == 12
    assert rows[("kb-busy", START)].search_requests == 30
    assert cost(sessions, "kb-idle", START, T2) == Decimal("0.16") * 150
    assert cost(sessions, "kb-idle", T2, NEW_CREATED) == Decimal("0.24") * 42
    assert cost(sessions, "kb-idle", NEW_CREATED, NOW) == Decimal("0.16") * 60
    assert cost(sessions, "kb-gone", START, NOW) == Decimal("0.16") * 150  # kept, up to T2
    assert not [key for key in rows if key[0] == "kb-gone" and key[1] >= T2]
    assert not [key for key in rows if key[0] == "kb-new" and key[1] < NEW_CREATED]
    assert {row.price_source for row in rows.values()} == {
        "https://aws.amazon.com/opensearch-service/pricing/"
    }
    assert sum(
        rows[(name, NOW - timedelta(hours=1))].ocu_share
        for name in ("kb-idle", "kb-busy", "kb-new")
    ) == Decimal(1)

    # re-collecting any window changes nothing
    before = table_contents(sessions)
    collect(sessions, ClientFactory(), NOW, START, NOW)
    assert table_contents(sessions) == before


def test_the_idle_rule_fires_once_for_the_idle_store_and_resolves_when_searches_return(
    aws, sessions
):
    seeded = seed()
    collect_history(sessions, seeded, ClientFactory())

    def evaluate(now):
        evaluate_once(sessions, CONFIG, lambda s, at: build_snapshot(CONFIG, s, at), now)
        with sessions() as session:
            return [(a.subject, a.state, a.team) for a in session.scalars(select(Alert))]

    subject = f"{ACCOUNT}/{REGION}/kb-idle"
    assert evaluate(NOW) == [(subject, "firing", "support")]
    assert evaluate(NOW + timedelta(minutes=5)) == [(subject, "firing", "support")]
    with sessions() as session:
        alert = session.scalars(select(Alert)).one()
        assert "support-docs" in alert.message and "$37.92" in alert.message
        assert alert.active_since == LAST_IDLE_SEARCH

    # the waste query's row for it (the busy and the new one are not waste)
    with sessions() as session:
        waste = idle_vector_stores(session, NOW)
    assert [tuple(row) for row in waste] == [WASTE_FIELDS]
    assert waste == [
        {
            "kind": "vector_store",
            "resource": seeded["idle"]["arn"],
            "name": "kb-idle",
            "account_id": ACCOUNT,
            "region": REGION,
            "team": "support",
            "idle_since": datetime(2026, 10, 1, 12, tzinfo=UTC),
            "idle_hours": Decimal("216.0"),
            "burnt_usd": Decimal("37.92"),
            "monthly_usd": Decimal("116.80"),
            "action": "report only: delete knowledge base support-docs and collection kb-idle by hand",
        }
    ]

    # searches return: the next cycle collects them and the alert resolves
    put_collection_requests(
        REGION, seeded["idle"], [("SearchRequestRate", NOW + timedelta(minutes=20), 3)]
    )
    later = NOW + timedelta(hours=2)
    collect(sessions, ClientFactory(), later)
    assert evaluate(later) == [(subject, "resolved", "support")]
    with sessions() as session:
        assert idle_vector_stores(session, later) == []


def test_a_region_without_the_service_or_without_access_is_a_warning_for_that_target(
    aws, sessions, caplog
):
    seed()
    config = parse_config(
        f"""
accounts: [{{id: "{ACCOUNT}"}}]
regions: [us-east-1, us-west-2, eu-west-1]
""",
        "test.yaml",
    )
    base = ClientFactory()
    denied = boto3.client("opensearchserverless", region_name="us-west-2")
    stubber = Stubber(denied)
    stubber.add_client_error(
        "list_collections", service_error_code="AccessDeniedException", http_status_code=403
    )
    stubber.activate()
    # nothing listens on port 9: the way a region without the service answers (no endpoint)
    absent = boto3.client(
        "opensearchserverless",
        region_name="eu-west-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"total_max_attempts": 1}),
    )
    clients = OverridingFactory(
        base,
        {
            ("opensearchserverless", ACCOUNT, "us-west-2"): denied,
            ("opensearchserverless", ACCOUNT, "eu-west-1"): absent,
        },
    )
    collector = VectorStoresCollector(config, clients)
    runner = Runner(sessions, base.counter, Clock(NOW))
    targets = [Target(ACCOUNT, region) for region in config.regions]
    result = runner.run(collector, runner.plan(collector, targets, NOW - timedelta(hours=2), NOW))
    assert [(o.target.region, o.status) for o in result.outcomes] == [
        ("us-east-1", "succeeded"),
        ("us-west-2", "skipped"),
        ("eu-west-1", "skipped"),
    ]
    assert "not offered in eu-west-1" in (result.outcomes[2].message or "")
    assert result.failed == []


def test_collect_vector_stores_from_the_cli_with_either_spelling(
    aws, sessions, tmp_path, monkeypatch
):
    from click.testing import CliRunner

    from monitor.cli import main

    seed()
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    config = tmp_path / "config.yaml"
    config.write_text(f'accounts: [{{id: "{ACCOUNT}"}}]\nregions: [{REGION}]\n')
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    window = ["--start", START.isoformat(), "--end", (START + timedelta(hours=6)).isoformat()]
    for spelling in ("vector-stores", "vector_stores"):
        result = CliRunner().invoke(main, ["collect", spelling, *window])
        assert result.exit_code == 0, result.output
    assert sorted(stores(sessions)) == ["kb-busy", "kb-gone", "kb-idle", "kb-new"]
    assert len(hours_of(sessions)) == 3 * 6  # kb-new did not exist yet
