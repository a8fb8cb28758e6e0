"""The dashboard losing its Postgres database: a page and its body callback answer with a readable
"database unavailable" message and one log line each, no traceback; they recover with it."""

from __future__ import annotations

import logging

import pytest

from core.db import make_engine, session_factory
from dashboard.app import AuthSettings, create_app
from dashboard.pages.overview import SPEC
from demo import small as world
from monitor.migrate import upgrade
from tests.conftest import _postgres_database
from tests.monitor.test_database_loss import set_reachable


@pytest.fixture
def postgres_url():
    yield from _postgres_database()


def routed_page(client, path: str):
    """The page layout the router callback serves for ``path``."""
    return client.post(
        "/_dash-update-component",
        json={
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": path},
                {"id": "_pages_location", "property": "search", "value": ""},
            ],
            "changedPropIds": ["_pages_location.pathname"],
            "state": [],
        },
    )


def overview_body(client):
    """The Overview page's body as its callback renders it for the browser."""
    inputs = [
        {"id": component, "property": prop, "value": None}
        for _key, component, prop in SPEC.bindings()
    ]
    return client.post(
        "/_dash-update-component",
        json={
            "output": "overview-body.children",
            "outputs": {"id": "overview-body", "property": "children"},
            "inputs": inputs,
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
            "state": [],
        },
    )


@pytest.mark.fault
def test_a_lost_database_is_a_message_and_one_line_per_callback(postgres_url, caplog):
    engine = make_engine(postgres_url)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        world.seed(session)
    engine.dispose()
    app = create_app(postgres_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    client = app.server.test_client()
    assert routed_page(client, "/").status_code == 200
    healthy = overview_body(client)
    assert healthy.status_code == 200 and "unavailable" not in healthy.get_data(as_text=True)

    set_reachable(postgres_url, False)
    caplog.clear()
    try:
        with caplog.at_level(logging.INFO):
            answers = [routed_page(client, "/"), overview_body(client)]
    finally:
        set_reachable(postgres_url, True)
    records = list(caplog.records)
    print(
        f"\ndashboard, database lost: {len(answers)} callbacks, {len(records)} log line(s), "
        f"{sum(1 for r in records if r.exc_info)} traceback(s)"
    )
    for answer in answers:
        assert answer.status_code == 200
        assert "Database unavailable" in answer.get_data(as_text=True)
    assert len(records) <= len(answers), [r.getMessage() for r in records]
    assert not [r for r in records if r.exc_info]
    recovered = overview_body(client)
    assert recovered.status_code == 200
    assert "unavailable" not in recovered.get_data(as_text=True)
