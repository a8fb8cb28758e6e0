"""Authentication covers every route of the app, Dash's callback routes included (plain HTTP client)."""

from __future__ import annotations

import base64
import re

import pytest
import requests

from core.db import make_engine
from core.settings import ConfigError
from dashboard.app import AuthSettings, auth_from_env, create_app
from demo import small as world
from monitor.migrate import upgrade
from tests.dashboard.conftest import ServerThread

USER, PASSWORD = "finance", "s3cret pass"


@pytest.fixture(scope="module")
def empty_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'auth.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def every_route(app) -> list[tuple[str, str]]:
    """(method, concrete path) for every rule the Flask server knows, variables filled in."""
    routes = []
    for rule in app.server.url_map.iter_rules():
        path = re.sub(
            r"<(?:[^:<>]+:)?([^<>]+)>",
            lambda m: "dash/dcc/x.js" if m.group(1) == "path" else "x",
            rule.rule,
        )
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def callback_payload() -> dict:
    """A real request for the Alerts page's body, as the browser sends it."""
    inputs = [
        {"id": "alerts-dates", "property": "start_date", "value": "2026-03-01"},
        {"id": "alerts-dates", "property": "end_date", "value": "2026-03-18"},
        {"id": "alerts-team", "property": "value", "value": []},
    ]
    return {
        "output": "alerts-body.children",
        "outputs": {"id": "alerts-body", "property": "children"},
        "inputs": inputs,
        "changedPropIds": ["alerts-team.value"],
        "state": [],
    }


def test_basic_auth_guards_every_route(empty_url):
    app = create_app(
        empty_url, world.config(), auth=AuthSettings(USER, PASSWORD), clock=lambda: world.NOW
    )
    routes = every_route(app)
    assert ("POST", "/_dash-update-component") in routes and ("GET", "/_dash-layout") in routes
    with ServerThread(app.server) as server:
        for method, path in [
            *routes,
            ("GET", "/"),
            ("GET", "/endpoints"),
            ("GET", "/no-such-page"),
        ]:
            answer = requests.request(
                method, server.url + path, json={} if method == "POST" else None, timeout=10
            )
            assert answer.status_code == 401, (method, path)
            assert answer.headers["WWW-Authenticate"].startswith('Basic realm="genai-cost-monitor"')
            assert "alerts" not in answer.text
        wrong = requests.post(
            server.url + "/_dash-update-component",
            json=callback_payload(),
            auth=(USER, "guess"),
            timeout=10,
        )
        assert wrong.status_code == 401
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        assert (
            requests.get(
                server.url + "/", headers={"Authorization": f"Basic {token}"}, timeout=10
            ).status_code
            == 200
        )
        assert (
            requests.get(
                server.url + "/_dash-layout", auth=(USER, PASSWORD), timeout=10
            ).status_code
            == 200
        )
        answer = requests.post(
            server.url + "/_dash-update-component",
            json=callback_payload(),
            auth=(USER, PASSWORD),
            timeout=10,
        )
        assert answer.status_code == 200
        assert "Nothing is firing." in answer.text


def test_a_trusted_header_from_the_sso_proxy_admits(empty_url):
    auth = AuthSettings(trusted_header="X-Forwarded-User", allowed_users=("ana@example.com",))
    app = create_app(empty_url, world.config(), auth=auth, clock=lambda: world.NOW)
    with ServerThread(app.server) as server:
        for method, path in every_route(app):
            answer = requests.request(
                method, server.url + path, json={} if method == "POST" else None, timeout=10
            )
            assert answer.status_code == 401, (method, path)
        assert (
            requests.get(
                server.url + "/", headers={"X-Forwarded-User": "eve@example.com"}, timeout=10
            ).status_code
            == 401
        )
        assert (
            requests.get(
                server.url + "/", headers={"X-Forwarded-User": "ana@example.com"}, timeout=10
            ).status_code
            == 200
        )
        answer = requests.post(
            server.url + "/_dash-update-component",
            json=callback_payload(),
            headers={"X-Forwarded-User": "ana@example.com"},
            timeout=10,
        )
        assert answer.status_code == 200


def test_without_auth_the_app_answers(empty_url):
    app = create_app(empty_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    with ServerThread(app.server) as server:
        assert requests.get(server.url + "/", timeout=10).status_code == 200
        assert (
            requests.post(
                server.url + "/_dash-update-component", json=callback_payload(), timeout=10
            ).status_code
            == 200
        )


def test_auth_settings_from_the_environment():
    assert auth_from_env({}) == AuthSettings()
    assert not auth_from_env({}).enabled
    basic = auth_from_env(
        {"GENAI_MONITOR_DASHBOARD_USER": "a", "GENAI_MONITOR_DASHBOARD_PASSWORD": "b"}
    )
    assert basic.enabled and (basic.username, basic.password) == ("a", "b")
    header = auth_from_env(
        {
            "GENAI_MONITOR_DASHBOARD_TRUSTED_HEADER": "X-Email",
            "GENAI_MONITOR_DASHBOARD_ALLOWED_USERS": "a@x, b@x ,",
        }
    )
    assert header.enabled and header.allowed_users == ("a@x", "b@x")
    with pytest.raises(ConfigError, match="GENAI_MONITOR_DASHBOARD_PASSWORD"):
        auth_from_env({"GENAI_MONITOR_DASHBOARD_USER": "a"})


def test_create_app_reads_auth_from_the_environment(empty_url, monkeypatch):
    monkeypatch.setenv("GENAI_MONITOR_DASHBOARD_USER", USER)
    monkeypatch.setenv("GENAI_MONITOR_DASHBOARD_PASSWORD", PASSWORD)
    app = create_app(empty_url, world.config())
    client = app.server.test_client()
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout", auth=(USER, PASSWORD)).status_code == 200
