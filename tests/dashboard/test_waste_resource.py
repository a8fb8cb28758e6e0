"""The Waste page opened on one resource (`/waste?resource=ARN`, an idle alert's link) shows that
resource only, and says so when it is not idle; on SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from dashboard.app import AuthSettings, create_app
from demo import small as world
from tests.dashboard.callbacks import body_request

CALLBACK = "/_dash-update-component"
# the small world's one idle endpoint
IDLE = "arn:aws:sagemaker:us-west-2:222222222222:endpoint/support-idle-llm"


def _body(client, resource: str | None) -> str:
    values = {
        "start": (world.TODAY - timedelta(days=6)).isoformat(),
        "end": world.TODAY.isoformat(),
        "resource": resource,
    }
    answer = client.post(CALLBACK, json=body_request("waste", values))
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_waste_page_on_one_resource(seeded_url):
    app = create_app(seeded_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    client = app.server.test_client()
    assert "support-idle-llm" in _body(client, None)
    one = _body(client, IDLE)
    assert "support-idle-llm" in one and "is not idle" not in one
    other = f"{IDLE}-2"
    body = _body(client, other)
    assert "support-idle-llm\\u0022" not in body and '"name":"support-idle-llm"' not in body
    assert "is not idle or under-used (or not in the teams, accounts and regions shown)" in body
    assert client.get("/waste", query_string={"resource": IDLE}).status_code == 200


def test_the_waste_page_lists_what_stopped_resources_saved(seeded_url):
    from sqlalchemy import delete

    from core.db import make_engine, session_factory
    from core.models import ActionAudit, Snapshot

    stopped_arn = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/search-dev-llm"
    where = {
        "kind": "sagemaker_endpoint", "resource_arn": stopped_arn, "name": "search-dev-llm",
        "account_id": "111111111111", "region": "us-east-1", "team": "search",
    }  # fmt: skip
    engine = make_engine(seeded_url)
    sessions = session_factory(engine)
    stopped = world.NOW - timedelta(hours=10)
    with sessions.begin() as session:
        session.add(
            Snapshot(
                id="snap-w", taken_at=stopped, document={}, hourly_usd=Decimal("1.25"), **where
            )
        )
        session.flush()
        session.add(ActionAudit(at=stopped, actor="policy:schedule", action="delete", snapshot_id="snap-w", outcome="succeeded", message=None, request_ids=[], **where))  # fmt: skip
    try:
        app = create_app(seeded_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
        client = app.server.test_client()
        body = _body(client, None)
        # 10 hours stopped at $1.25
        assert '"name":"search-dev-llm"' in body and '"saved_usd":12.5' in body.replace(" ", "")
        assert '"name":"search-dev-llm"' not in _body(client, IDLE)
    finally:
        with sessions.begin() as session:
            session.execute(delete(ActionAudit))
            session.execute(delete(Snapshot))
        engine.dispose()
