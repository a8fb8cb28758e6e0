"""A seeded database per kind, the dashboard served over real HTTP from it, and a real browser."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from advisor import Advisor
from core.db import make_engine, session_factory
from dashboard.app import AuthSettings, create_app
from demo import small as world
from tests.conftest import (
    SCREENSHOTS,  # noqa: F401 - the tests import it from here
    seeded_database,
)


@dataclass
class Served:
    """A running dashboard: its base URL, the database behind it and that database's kind."""

    url: str
    sessions: sessionmaker[Session]
    kind: str


class ServerThread:
    """A WSGI app on a free loopback port, in a background thread."""

    def __init__(self, wsgi_app: object) -> None:
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database of each kind holding the seeded world, for the module."""
    yield from seeded_database(request.param, tmp_path_factory.mktemp("dash"), world.seed)


@pytest.fixture(scope="module")
def served(seeded_url: str) -> Iterator[Served]:
    """The dashboard (no auth) served from the seeded database, its clock at the world's now."""
    app = create_app(
        seeded_url,
        world.config(),
        auth=AuthSettings(),
        clock=lambda: world.NOW,
        advisor=Advisor.load,
    )
    engine = make_engine(seeded_url)
    with ServerThread(app.server) as server:
        yield Served(
            server.url,
            session_factory(engine),
            "sqlite" if seeded_url.startswith("sqlite") else "postgres",
        )
    engine.dispose()
