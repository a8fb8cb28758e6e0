"""Shared fixtures: no request may reach real AWS; moto stands in; every database test runs twice."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import botocore.httpsession
import pytest
import requests
from moto.server import ThreadedMotoServer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.db import make_engine, session_factory
from core.models import Base
from demo import small as small_world
from demo.bedrock_control import BedrockControlState, bedrock_control_plane
from monitor.context import load_plugins
from monitor.migrate import upgrade

# every collector, rule and notifier registers itself, as in the `genai-monitor` process
load_plugins()

POSTGRES_ADMIN_URL = os.environ.get(
    "GENAI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class RealAwsRequest(AssertionError):
    """A test tried to send a request somewhere other than this machine."""


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, no shared config, and a hard failure for any non-loopback request."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    original_send = botocore.httpsession.URLLib3Session.send

    def guarded_send(self: botocore.httpsession.URLLib3Session, request: object) -> object:
        host = urlsplit(request.url).hostname  # type: ignore[attr-defined]
        if host not in LOOPBACK:
            raise RealAwsRequest(f"a test tried to reach {request.url}")  # type: ignore[attr-defined]
        return original_send(self, request)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", guarded_send)
    yield


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server on a free loopback port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # the Bedrock calls moto lacks answer from an empty stand-in (a test installs its own world)
    with bedrock_control_plane(BedrockControlState()):
        yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh moto world that every boto3 client in the test talks to."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


def _postgres_database() -> Iterator[str]:
    """A scratch database on the local Postgres, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"gcm_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Postgres is unreachable at {POSTGRES_ADMIN_URL} and CI=true: {exc.orig}")
        pytest.skip(f"Postgres is unreachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seeded_database(kind: str, folder: Path, seed: Callable[[Session], None]) -> Iterator[str]:
    """A migrated database of ``kind`` (sqlite or postgres) holding what ``seed`` writes (a
    Postgres one is dropped afterwards)."""
    urls = iter([f"sqlite:///{folder / 'seeded.db'}"]) if kind == "sqlite" else _postgres_database()
    for url in urls:
        engine = make_engine(url)
        upgrade(engine)
        with session_factory(engine).begin() as session:
            seed(session)
        engine.dispose()
        yield url


@pytest.fixture
def scratch_database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty database of the kind the test is parametrised with."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database for the session: SQLite, then the real Postgres."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    else:
        for url in _postgres_database():
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the session's database, emptied after each test."""
    engine = make_engine(database_url)
    yield engine
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory on the test database."""
    return session_factory(engine)


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The session factory of a database holding the dashboard's small world (demo.small)."""
    with sessions.begin() as session:
        small_world.seed(session)
    return sessions


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium, driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, tmp_path: Path) -> Iterator[object]:
    """A fresh browser page that accepts downloads, with a large enough viewport for screenshots."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    context.set_default_timeout(20000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # a callback that raises answers 500: no test may pass over one
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}") if response.status >= 500 else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"errors while the page ran: {errors}"
