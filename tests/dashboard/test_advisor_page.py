"""The Advisor page shows the advisor monitor hands the dashboard, and says so when there is none."""

from __future__ import annotations

from advisor import Advisor
from dashboard.app import AuthSettings, create_app
from demo import small as world
from tests.dashboard.test_auth import empty_url  # noqa: F401 - a fixture


def advisor_body(app) -> str:
    """The Advisor page's body as its callback renders it for the browser."""
    inputs = [
        {"id": "advisor-dates", "property": "start_date", "value": "2026-03-01"},
        {"id": "advisor-dates", "property": "end_date", "value": "2026-03-18"},
        *(
            {"id": f"advisor-{name}", "property": "value", "value": []}
            for name in ("team", "account", "region")
        ),
    ]
    answer = app.server.test_client().post(
        "/_dash-update-component",
        json={
            "output": "advisor-body.children",
            "outputs": {"id": "advisor-body", "property": "children"},
            "inputs": inputs,
            "changedPropIds": ["advisor-team.value"],
            "state": [],
        },
    )
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_without_an_advisor_the_page_says_it_is_not_available(empty_url):  # noqa: F811
    app = create_app(empty_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    body = advisor_body(app)
    assert "advisor-unavailable" in body and "advisor-workload-count" not in body


def test_with_the_advisor_the_page_shows_its_figures(empty_url):  # noqa: F811
    app = create_app(
        empty_url,
        world.config(),
        auth=AuthSettings(),
        clock=lambda: world.NOW,
        advisor=Advisor.load,
    )
    body = advisor_body(app)
    assert "advisor-workload-count" in body and "advisor-unavailable" not in body
