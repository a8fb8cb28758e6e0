"""AWS ALB OIDC: ``x-amzn-oidc-data`` tokens checked against keys from a local key server."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from core.db import make_engine, session_factory
from dashboard.app import AuthSettings, create_app
from monitor.migrate import upgrade
from tests.dashboard import two_teams as world
from tests.dashboard.two_teams import CALLBACK, overview, with_dashboard

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/gcm/50dc6c495c0c9188"
KID = "6f9d3ba1-8f4e-4a1b-9b43-0c1f5e3c2a10"


class KeyServer:
    """Serves PEM public keys at /<region>/<kid> on a loopback port and counts the requests."""

    def __init__(self, keys: dict[str, bytes], port: int = 0) -> None:
        self.keys, self.requests = keys, 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner.requests += 1
                pem = owner.keys.get(self.path.rsplit("/", 1)[-1])
                self.send_response(200 if pem and self.path.startswith("/eu-west-1/") else 404)
                self.end_headers()
                self.wfile.write(pem or b"no such key")

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def template(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{{region}}/{{kid}}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def b64(data: bytes) -> str:
    # the ALB pads its base64url segments, which JWT libraries must accept
    return base64.urlsafe_b64encode(data).decode()


def alb_token(key: ec.EllipticCurvePrivateKey, claims: dict, **header_fields: object) -> str:
    """A token as the ALB makes it: ES256 over padded base64url segments, kid and signer in the header."""
    header = {"alg": "ES256", "kid": KID, "signer": ARN, "iss": "https://idp.example.com",
              "client": "gcm", "exp": int(time.time()) + 120, **header_fields}  # fmt: skip
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def claims(**extra: object) -> dict:
    return {"sub": "1234-ana", "email": "ana@example.com", "groups": ["alpha-devs"],
            "exp": int(time.time()) + 120, "iss": "https://idp.example.com", **extra}  # fmt: skip


@pytest.fixture(scope="module")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def key_server(signing_key) -> Iterator[KeyServer]:
    pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    server = KeyServer({KID: pem})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('alb') / 'alb.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        world.seed(session)
    engine.dispose()
    return url


def alb_app(db_url: str, key_server: KeyServer, extra: str = ""):
    config = with_dashboard(
        "dashboard:\n"
        f"  auth: {{mode: alb_oidc, alb_region: eu-west-1, alb_key_url: '{key_server.template}',"
        f" alb_arn: '{ARN}', issuer: 'https://idp.example.com', key_timeout_seconds: 2{extra}}}\n"
        "  roles: {finance: [finance]}\n"
        f"  team_groups: {{{world.TEAM_A}: [alpha-devs], {world.TEAM_B}: [zulu-devs]}}\n"
    )
    return create_app(db_url, config, auth=AuthSettings(), clock=lambda: world.NOW)


def ask(client, token: str | None, **headers: str):
    sent = {"x-amzn-oidc-data": token, **headers} if token else headers
    return client.post(CALLBACK, json=overview([world.TEAM_B]), headers=sent)


def test_a_valid_token_admits_its_user_scoped_and_the_key_is_fetched_once(
    db_url, key_server, signing_key
):
    client = alb_app(db_url, key_server).server.test_client()
    token = alb_token(signing_key, claims())
    for _ in range(3):
        answer = ask(client, token, **{"x-amzn-oidc-identity": "1234-ana"})
        assert answer.status_code == 200
        body = answer.get_data(as_text=True)
        assert world.TEAM_A in body and not world.leaks(body)
    assert key_server.requests == 1
    finance = alb_token(signing_key, claims(groups="finance,staff", email=None))
    assert world.TEAM_B in ask(client, finance).get_data(
        as_text=True
    )  # groups as a string, user from sub


@pytest.mark.parametrize(
    "case", ["tampered", "expired", "expired_header", "wrong_kid", "wrong_signer", "wrong_issuer",
             "other_key", "identity_mismatch", "none", "garbage"],
)  # fmt: skip
def test_a_bad_token_is_refused_without_a_traceback(db_url, key_server, signing_key, case, caplog):
    client = alb_app(db_url, key_server).server.test_client()
    good = alb_token(signing_key, claims())
    header, payload, signature = good.split(".")
    forged = b64(json.dumps(claims(groups=["platform-admins", "finance"])).encode())
    tokens = {
        "tampered": f"{header}.{forged}.{signature}",
        "expired": alb_token(signing_key, claims(exp=int(time.time()) - 5)),
        "expired_header": alb_token(signing_key, claims(), exp=int(time.time()) - 5),
        "wrong_kid": alb_token(signing_key, claims(), kid="0000-unknown"),
        "wrong_signer": alb_token(signing_key, claims(), signer=ARN.replace("gcm", "other")),
        "wrong_issuer": alb_token(signing_key, claims(iss="https://evil.example.com"), iss=None),
        "other_key": alb_token(ec.generate_private_key(ec.SECP256R1()), claims()),
        "identity_mismatch": good,
        "none": None,
        "garbage": "not.a.token",
    }
    extra = {"x-amzn-oidc-identity": "someone-else"} if case == "identity_mismatch" else {}
    with caplog.at_level(logging.WARNING):
        answer = ask(client, tokens[case], **extra)
    assert answer.status_code == 401, case
    assert world.TEAM_A not in answer.get_data(as_text=True)
    assert not any(record.exc_info for record in caplog.records)
    assert "Traceback" not in caplog.text


def test_the_key_server_down_refuses_and_a_later_fetch_recovers(
    db_url, key_server, signing_key, caplog
):
    client = alb_app(db_url, key_server).server.test_client()
    token = alb_token(signing_key, claims())
    port = key_server.server.server_port
    key_server.stop()
    with caplog.at_level(logging.WARNING):
        assert ask(client, token).status_code == 401
    assert "could not be fetched" in caplog.text and "Traceback" not in caplog.text
    # a failed fetch is not remembered: with the key server back, the same token is admitted
    again = KeyServer(dict(key_server.keys), port)
    try:
        assert ask(client, token).status_code == 200
        assert again.requests == 1
    finally:
        again.stop()


def test_alb_headers_from_outside_the_trusted_proxies_are_refused(db_url, key_server, signing_key):
    client = alb_app(db_url, key_server, ", trusted_proxies: [192.0.2.0/24]").server.test_client()
    answer = ask(client, alb_token(signing_key, claims()))
    assert answer.status_code == 403
    assert key_server.requests == 0
