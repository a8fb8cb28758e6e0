"""Acting on Bedrock Provisioned Throughput against the control-plane stand-in: a no-commitment PT
is deleted and restored (same name, model, units, tags); a committed one and a vector store are
reported only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import boto3
from sqlalchemy import select

from actions.engine import performer
from actions.types import ActionRequest
from core.aws import ClientFactory
from core.models import ActionAudit, Snapshot
from core.models_vector import VectorStore
from demo.bedrock_control import BedrockControlState, bedrock_control_plane
from tests.actions.world import ACCOUNT, ENABLED, NOW, REGION, store_provisioned

MODEL = "amazon.titan-text-express-v1"


def ask(action: str, arn: str, execute: bool = True) -> ActionRequest:
    return ActionRequest(action=action, resource_arn=arn, actor="policy:test", execute=execute)  # type: ignore[arg-type]


def bedrock():
    return boto3.client("bedrock", region_name=REGION)


def test_a_pt_is_deleted_and_restored_with_its_name_model_units_and_tags(aws, sessions):
    state = BedrockControlState()
    arn = state.add_provisioned(
        REGION, "nightly-pt", MODEL, 2, NOW - timedelta(days=2), tags={"team": "research"}
    )
    store_provisioned(sessions, arn, "nightly-pt")
    perform = performer(sessions, ClientFactory(), ENABLED)
    with bedrock_control_plane(state):
        before = bedrock().get_provisioned_model_throughput(provisionedModelId=arn)

        plan = perform(ask("delete", arn, execute=False))
        assert plan.outcome == "planned" and state.find_provisioned(REGION, arn) is not None
        deleted = perform(ask("delete", arn))
        assert deleted.outcome == "succeeded", deleted.message
        assert state.find_provisioned(REGION, arn) is None
        assert perform(ask("delete", arn)).outcome == "skipped"

        restored = perform(ask("restore", arn))
        assert restored.outcome == "succeeded", restored.message
        again = state.find_provisioned(REGION, "nightly-pt")
        assert again is not None and again["provisionedModelArn"] != arn  # AWS gives a new ARN
        after = bedrock().get_provisioned_model_throughput(
            provisionedModelId=again["provisionedModelArn"]
        )
        for field in ("provisionedModelName", "modelArn", "modelUnits", "status"):
            assert after[field] == before[field], field
        assert "commitmentDuration" not in after
        tags = bedrock().list_tags_for_resource(resourceARN=again["provisionedModelArn"])["tags"]
        assert tags == [{"key": "team", "value": "research"}]
        assert perform(ask("restore", arn)).outcome == "refused"  # restored already

    with sessions() as session:
        snapshot = session.get(Snapshot, deleted.snapshot_id)
        assert snapshot.hourly_usd == Decimal("39.6") and snapshot.restored_at is not None
        rows = list(session.scalars(select(ActionAudit).order_by(ActionAudit.id)))
    assert [(r.action, r.outcome) for r in rows] == [
        ("delete", "planned"),
        ("delete", "succeeded"),
        ("delete", "skipped"),
        ("restore", "succeeded"),
        ("restore", "refused"),
    ]
    assert rows[1].snapshot_id == rows[3].snapshot_id == deleted.snapshot_id
    assert len(rows[1].request_ids) == 1 and len(rows[3].request_ids) == 1


def test_a_committed_pt_is_never_acted_on(aws, sessions):
    state = BedrockControlState()
    arn = state.add_provisioned(
        REGION,
        "reserved",
        MODEL,
        1,
        NOW - timedelta(days=2),
        commitment="OneMonth",
        expires=NOW + timedelta(days=20),
    )
    store_provisioned(sessions, arn, "reserved", commitment="OneMonth")
    clients = ClientFactory()
    with bedrock_control_plane(state):
        result = performer(sessions, clients, ENABLED)(ask("delete", arn))
    assert result.outcome == "refused" and "OneMonth commitment" in result.message
    assert clients.counter.total() == 0 and state.find_provisioned(REGION, arn) is not None


def test_a_vector_store_is_reported_only(aws, sessions):
    arn = f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/abc123"
    with sessions.begin() as session:
        session.add(
            VectorStore(
                account_id=ACCOUNT,
                region=REGION,
                collection_id="abc123",
                arn=arn,
                name="kb",
                status="ACTIVE",
                created_at=NOW,
                last_seen_at=NOW,
                team="search",
            )
        )
    result = performer(sessions, ClientFactory(), ENABLED)(ask("delete", arn))
    assert result.outcome == "refused" and "reports it only" in result.message


def test_a_failed_restore_keeps_its_snapshot_and_says_why(aws, sessions):
    state = BedrockControlState()
    arn = state.add_provisioned(REGION, "nightly-pt", MODEL, 2, NOW - timedelta(days=2))
    store_provisioned(sessions, arn, "nightly-pt")
    perform = performer(sessions, ClientFactory(), ENABLED)
    with bedrock_control_plane(state):
        deleted = perform(ask("delete", arn))
        state.denied_regions.add(REGION)
        failed = perform(ask("restore", arn))
        assert failed.outcome == "denied" and failed.snapshot_id == deleted.snapshot_id
        assert f"snapshot {deleted.snapshot_id} is kept" in failed.message
        with sessions() as session:
            assert session.get(Snapshot, deleted.snapshot_id).restored_at is None
        state.denied_regions.clear()
        assert perform(ask("restore", arn)).outcome == "succeeded"
    assert state.find_provisioned(REGION, "nightly-pt") is not None
