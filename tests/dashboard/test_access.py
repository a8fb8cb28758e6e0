"""Who sees what: roles and team groups from the config, trusted proxies, refusals, the audit log."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from core.access_settings import DashboardConfig
from core.db import make_engine, session_factory
from core.models import DashboardAudit
from core.settings import ConfigError
from dashboard.access import Viewer, narrow, viewer_for
from dashboard.app import AuthSettings, create_app
from dashboard.filters import Filters
from tests.conftest import seeded_database
from tests.dashboard import two_teams as world
from tests.dashboard.conftest import ServerThread
from tests.dashboard.two_teams import CALLBACK, overview, with_dashboard

A, B = world.TEAM_A, world.TEAM_B


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db_url(request, tmp_path_factory):
    """The two-team world on each kind of database."""
    yield from seeded_database(request.param, tmp_path_factory.mktemp("access"), world.seed)


def test_roles_and_team_groups_decide_what_a_user_sees():
    config = DashboardConfig(
        roles={"admin": ["ops"], "finance": ["money"]},
        team_groups={"a": ["devs-a", "leads"], "b": ["devs-b", "leads"]},
    )
    assert viewer_for("x", ["money", "ops"], config).role == "admin"
    assert viewer_for("x", ["money"], config) == Viewer("x", "finance", None, ("money",))
    assert viewer_for("x", ["devs-b", "leads"], config).teams == ("a", "b")
    assert viewer_for("x", ["devs-a"], config).teams == ("a",)
    assert viewer_for("x", ["staff"], config) is None
    assert viewer_for("x", [], DashboardConfig()).role == "admin"  # nothing mapped: as before


def test_filters_are_narrowed_to_the_viewers_teams():
    day = world.NOW.date()
    viewer = Viewer("x", "viewer", ("a",))
    assert narrow(Filters(day, day, teams=("b",)), viewer).teams == ("a",)
    assert narrow(Filters(day, day), viewer).teams == ("a",)
    assert narrow(Filters(day, day, teams=("a", "b")), viewer).teams == ("a",)
    assert narrow(Filters(day, day, teams=("b",)), Viewer("y", "finance", None)).teams == ("b",)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("team_groups: {nobody: [devs]}", "team_groups names team 'nobody'"),
        ("auth: {mode: trusted_header, trusted_proxies: [10.0.0.300/8]}", "CIDR block"),
        ("auth: {mode: trusted_header, trusted_proxies: [10.0.0.1/8]}", "host bits set"),
        ("auth: {mode: alb_oidc}", "needs alb_region"),
        ("auth: {mode: kerberos}", "dashboard.auth.mode"),
        ("auth: {mode: trusted_header, user_header: 'X User'}", "HTTP header name"),
        ("roles: {superuser: [ops]}", "dashboard.roles"),
    ],
)
def test_a_bad_dashboard_section_is_a_config_error(section, message):
    with pytest.raises(ConfigError, match=message):
        with_dashboard(f"dashboard:\n  {section}\n")


def test_mode_basic_without_the_password_variables_is_a_config_error(db_url):
    config = with_dashboard("dashboard:\n  auth: {mode: basic}\n")
    with pytest.raises(ConfigError, match="GENAI_MONITOR_DASHBOARD_USER"):
        create_app(db_url, config, auth=AuthSettings())


def test_identity_headers_from_an_untrusted_address_are_refused(db_url):
    config = with_dashboard(
        "dashboard:\n  auth: {mode: trusted_header, trusted_proxies: [192.0.2.0/24]}\n"
        f"  team_groups: {{{A}: [alpha-devs]}}\n"
    )
    app = create_app(db_url, config, auth=AuthSettings(), clock=lambda: world.NOW)
    with ServerThread(app.server) as server:
        answer = requests.post(
            server.url + CALLBACK, json=overview([]), headers=world.VIEWER_A, timeout=10
        )
        assert answer.status_code == 403
        assert "not a trusted proxy" in answer.text and A not in answer.text
        assert requests.get(server.url + "/", timeout=10).status_code == 401


def test_a_user_in_no_mapped_group_is_refused_with_a_reason(db_url):
    app = create_app(db_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    with ServerThread(app.server) as server:
        for path in ("/", "/_dash-layout"):
            answer = requests.get(server.url + path, headers=world.NOBODY, timeout=10)
            assert answer.status_code == 403
            assert "eve@example.com may not see the dashboard" in answer.text
        answer = requests.post(
            server.url + CALLBACK, json=overview([B]), headers=world.NOBODY, timeout=10
        )
        assert answer.status_code == 403 and B not in answer.text


def test_finance_and_admin_see_every_team_and_are_audited_as_such(db_url):
    app = create_app(db_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    client = app.server.test_client()
    for headers in (world.FINANCE, world.ADMIN):
        body = client.post(CALLBACK, json=overview([]), headers=headers).get_data(as_text=True)
        assert A in body and B in body and "86420.13" in body
        mine = client.post(CALLBACK, json=overview([B]), headers=headers).get_data(as_text=True)
        assert B in mine and A not in mine  # they can narrow to one team like anyone
    with session_factory(make_engine(db_url))() as session:
        roles = dict(
            session.execute(
                select(DashboardAudit.user, DashboardAudit.role).where(
                    DashboardAudit.user.in_(["fin@example.com", "root@example.com"])
                )
            ).all()
        )
    assert roles == {"fin@example.com": "finance", "root@example.com": "admin"}


def test_the_environments_trusted_header_with_mapped_groups_scopes_too(db_url):
    # no dashboard.auth: GENAI_MONITOR_DASHBOARD_TRUSTED_HEADER as always, groups from X-Forwarded-Groups
    config = with_dashboard(f"dashboard:\n  team_groups: {{{A}: [alpha-devs]}}\n")
    app = create_app(
        db_url,
        config,
        auth=AuthSettings(trusted_header="X-Forwarded-User"),
        clock=lambda: world.NOW,
    )
    client = app.server.test_client()
    body = client.post(CALLBACK, json=overview([B]), headers=world.VIEWER_A).get_data(as_text=True)
    assert A in body and not world.leaks(body)
    assert client.get("/", headers=world.NOBODY).status_code == 403


def test_the_environments_basic_auth_admits_an_admin_beside_the_sso_proxy(db_url):
    app = create_app(
        db_url, world.config(), auth=AuthSettings("ops", "pw"), clock=lambda: world.NOW
    )
    client = app.server.test_client()
    body = client.post(CALLBACK, json=overview([]), auth=("ops", "pw")).get_data(as_text=True)
    assert B in body
    assert client.get("/", auth=("ops", "wrong")).status_code == 401
