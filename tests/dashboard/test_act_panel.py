"""The Waste page's Act panel: shown to admins and to `actions.dashboard_groups`, never to others;
its dialog names the resource and its monthly cost; the server checks again before acting, acts
only on a resource the viewer sees, and the engine audits it as ``user:<name>``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import g
from sqlalchemy import select

from core.db import make_engine, session_factory
from core.models import ActionAudit
from core.settings import parse_config
from dashboard.access import Viewer
from dashboard.act_panel import ask, confirm
from dashboard.app import AuthSettings
from monitor.dashboard import create_app
from tests.conftest import seeded_database
from tests.dashboard import two_teams as world
from tests.dashboard.callbacks import body_request, texts

ZULU = "arn:aws:sagemaker:eu-west-3:999988887777:endpoint/zulu-vault-vectorizer"
ACTIONS = """actions:
  enabled: true
  role_arn: "arn:aws:iam::{account}:role/GenAIMonitorActions"
  dashboard_groups: [alpha-devs]
"""
ADMIN = Viewer("root@example.com", "admin", None, ("platform-admins",))
VIEWER_A = Viewer("ana@example.com", "viewer", (world.TEAM_A,), ("alpha-devs",))
NOBODY_A = Viewer("bob@example.com", "viewer", (world.TEAM_A,), ("alpha-readers",))


@dataclass
class Result:
    outcome: str
    message: str


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from seeded_database(request.param, tmp_path_factory.mktemp("act"), world.seed)


def make_app(url: str, act: Any = None, actions: str = ACTIONS) -> Any:
    config = parse_config(world.CONFIG + actions)
    options = {"act": act} if act is not None else {}
    return create_app(url, config, auth=AuthSettings(), clock=lambda: world.NOW, **options)


def as_viewer(app: Any, viewer: Viewer, call: Any) -> Any:
    with app.server.test_request_context("/_dash-update-component"):
        g.viewer = viewer
        return call()


def test_the_panel_shows_for_admins_with_the_cost_and_not_for_others(database):
    calls: list[tuple[str, str, str]] = []
    app = make_app(database, lambda *args: calls.append(args) or Result("succeeded", "done"))
    client = app.server.test_client()
    client.get("/", headers=world.ADMIN)
    admin = client.post(world.CALLBACK, json=body_request("waste"), headers=world.ADMIN)
    viewer = client.post(world.CALLBACK, json=body_request("waste"), headers=world.VIEWER_A)
    assert admin.status_code == viewer.status_code == 200
    assert "Act on an idle resource" in texts(admin.json)
    assert any("$27,513.04 a month" in text for text in texts(admin.json))
    # a viewer of team A sees no idle resource of theirs: no panel (and nothing of team B)
    assert "Act on an idle resource" not in texts(viewer.json)
    # the Endpoints page offers its idle endpoints the same way
    endpoints = client.post(world.CALLBACK, json=body_request("endpoints"), headers=world.ADMIN)
    assert "Act on an idle resource" in texts(endpoints.json)
    assert calls == []


def test_the_dialog_names_the_resource_and_its_monthly_cost(database):
    app = make_app(database, lambda *args: Result("succeeded", "done"))
    message, shown, _line = as_viewer(app, ADMIN, lambda: ask(ZULU, "delete"))
    assert shown and "Delete zulu-vault-vectorizer" in message
    assert ZULU in message and "$27,513.04 a month" in message


def test_the_server_checks_who_may_act_and_what_they_see(database):
    calls: list[tuple[str, str, str]] = []
    app = make_app(database, lambda *args: calls.append(args) or Result("succeeded", "done"))
    # in dashboard_groups, but team B's resource is not theirs to see
    assert as_viewer(app, VIEWER_A, lambda: confirm(ZULU, "delete")).startswith("Pick")
    # in no group of actions.dashboard_groups
    assert "may not act" in as_viewer(app, NOBODY_A, lambda: confirm(ZULU, "delete"))
    assert as_viewer(app, ADMIN, lambda: ask(ZULU, "restore"))[1] is False
    assert calls == []
    assert as_viewer(app, ADMIN, lambda: confirm(ZULU, "delete")) == "succeeded: done"
    assert calls == [("delete", ZULU, "user:root@example.com")]
    # actions disabled: no one may act, admins included
    off = make_app(
        database, lambda *args: calls.append(args), actions="actions: {enabled: false}\n"
    )
    assert "may not act" in as_viewer(off, ADMIN, lambda: confirm(ZULU, "delete"))
    assert len(calls) == 1


def test_the_dashboard_acts_through_the_engine_and_is_audited(aws, database):
    app = make_app(database)  # monitor wires the engine, as `genai-monitor dashboard` serves it
    line = as_viewer(app, ADMIN, lambda: confirm(ZULU, "delete"))
    # the endpoint is in the database only, not in moto's AWS: deleted already, as far as AWS knows
    assert line.startswith("skipped:") and "does not exist" in line
    engine = make_engine(database)
    with session_factory(engine)() as session:
        rows = session.scalars(select(ActionAudit).where(ActionAudit.resource_arn == ZULU)).all()
        assert [(r.actor, r.action, r.outcome) for r in rows][-1] == (
            "user:root@example.com",
            "delete",
            "skipped",
        )
    engine.dispose()


def test_in_a_browser_the_dialog_asks_and_the_action_runs_once_confirmed(database, page):
    from tests.dashboard.conftest import ServerThread

    calls: list[tuple[str, str, str]] = []
    app = make_app(database, lambda *args: calls.append(args) or Result("succeeded", "deleted it"))
    dialogs: list[str] = []

    def answer(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.set_extra_http_headers(world.ADMIN)  # the SSO proxy's headers: an admin
    with ServerThread(app.server) as server:
        page.goto(f"{server.url}/waste")
        page.wait_for_selector("#waste-act")
        page.click("#waste-act-resource")
        page.get_by_text("zulu-vault-vectorizer (sagemaker_endpoint").click()
        page.click("#waste-act-button")
        page.wait_for_function(
            "document.querySelector('#waste-act-result').innerText.includes('succeeded')"
        )
        result = page.inner_text("#waste-act-result")
    assert result == "succeeded: deleted it"
    assert len(dialogs) == 1 and "zulu-vault-vectorizer" in dialogs[0]
    assert "$27,513.04 a month" in dialogs[0]
    assert calls == [("delete", ZULU, "user:root@example.com")]
