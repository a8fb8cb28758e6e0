"""The view cache: a hit for the same filters, scope and data version; a miss once a collector
window loads; never one team's figures for another (both databases, the app in process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.db import make_engine, session_factory
from dashboard.app import AuthSettings, create_app
from dashboard.cache import CACHE_EXTENSION
from tests.conftest import seeded_database
from tests.dashboard import two_teams as world
from tests.monitor.dashboard_world import (
    MODEL_A,
    MODEL_B,
    answer_text,
    bedrock_request,
    load_window,
    write_behind_the_version,
)

ZULU = {"X-Forwarded-User": "zed@example.com", "X-Forwarded-Groups": "zulu-devs"}


@pytest.fixture(params=["sqlite", "postgres"])
def world_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    yield from seeded_database(request.param, tmp_path, world.seed)


def ask(client: Any, headers: dict[str, str]) -> str:
    answer = client.post(world.CALLBACK, json=bedrock_request(), headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer_text(answer.get_json())


def test_the_cache_answers_until_a_window_loads_and_never_across_teams(world_url):
    app = create_app(world_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    assert app.server.extensions[CACHE_EXTENSION] is not None
    engine = make_engine(world_url)
    sessions = session_factory(engine)
    client = app.server.test_client()

    first = ask(client, world.VIEWER_A)
    assert MODEL_A in first and MODEL_B not in first
    # team B's viewer asks the same filters right after: their own figures, none of A's
    zulu = ask(client, ZULU)
    assert MODEL_B in zulu and MODEL_A not in zulu

    write_behind_the_version(sessions, "acme.behind-the-version-v1:0")
    again = ask(client, world.VIEWER_A)
    # the same filters, scope and version: the cached answer (keys may come back in another order)
    assert "acme.behind-the-version-v1:0" not in again
    assert sorted(again.split()) == sorted(first.split()), "the cached answer differs"
    # another scope is another entry: finance reads the database and finds the new row
    finance = ask(client, world.FINANCE)
    assert "acme.behind-the-version-v1:0" in finance and MODEL_B in finance

    load_window(sessions, "acme.loaded-window-v1:0")
    fresh = ask(client, world.VIEWER_A)
    assert "acme.loaded-window-v1:0" in fresh and "acme.behind-the-version-v1:0" in fresh
    assert MODEL_B not in fresh
    zulu_after = ask(client, ZULU)
    assert MODEL_B in zulu_after and MODEL_A not in zulu_after and "acme." not in zulu_after
    engine.dispose()


def test_without_a_cache_every_answer_reads_the_database(world_url):
    config = world.with_dashboard(
        "dashboard:" + world.CONFIG.split("dashboard:")[1] + "  cache: {type: none}\n"
    )
    app = create_app(world_url, config, auth=AuthSettings(), clock=lambda: world.NOW)
    assert CACHE_EXTENSION not in app.server.extensions
    engine = make_engine(world_url)
    client = app.server.test_client()
    assert "acme.uncached-v1:0" not in ask(client, world.VIEWER_A)
    write_behind_the_version(session_factory(engine), "acme.uncached-v1:0")
    assert "acme.uncached-v1:0" in ask(client, world.VIEWER_A)
    engine.dispose()
