"""The Waste page opened on one resource (`/waste?resource=ARN`, an idle alert's link) shows that
resource only, and says so when it is not idle; on SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta

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
    assert "is not idle (or not in the teams, accounts and regions shown)" in body
    assert client.get("/waste", query_string={"resource": IDLE}).status_code == 200
