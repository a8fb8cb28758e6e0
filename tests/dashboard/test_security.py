"""Found in hardening (#17): security headers on every response, and a brake on password guessing."""

from __future__ import annotations

import base64

from flask import Flask

from core.settings import parse_config
from dashboard.app import AuthSettings, create_app, install_auth
from dashboard.security import FailureThrottle


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_every_response_carries_the_protective_headers(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'h.db'}", parse_config(""), auth=AuthSettings())
    client = app.server.test_client()
    for path in ("/", "/endpoints", "/_dash-layout"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/_dash-layout").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_wrong_passwords_are_throttled_per_client_and_the_brake_lets_go():
    now = [1000.0]
    server = Flask(__name__)
    server.add_url_rule("/", "index", lambda: "ok")
    throttle = FailureThrottle(limit=5, window=60, clock=lambda: now[0])
    install_auth(server, AuthSettings("finance", "right-password"), throttle)
    client = server.test_client()

    statuses = [
        client.get("/", headers=basic("finance", f"guess-{n}")).status_code for n in range(200)
    ]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    refused = client.get("/", headers=basic("finance", "right-password"))
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61

    other = client.get(
        "/", headers=basic("finance", "right-password"), environ_base={"REMOTE_ADDR": "127.0.0.2"}
    )
    assert other.status_code == 200  # another client is not held back by this one's guesses

    now[0] += 61
    assert client.get("/", headers=basic("finance", "right-password")).status_code == 200
    # a request without credentials (a browser's first) is not a failed guess
    assert [client.get("/").status_code for _ in range(10)] == [401] * 10
    assert client.get("/", headers=basic("finance", "right-password")).status_code == 200
