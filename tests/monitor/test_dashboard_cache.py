"""The view cache: a hit for the same filters, scope and data version; a miss once a collector
window loads; never one team's figures for another (both databases, the app in process)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from flask import Flask, g

from core.db import make_engine, session_factory
from core.serve_settings import DashboardCacheConfig
from core.settings import parse_config
from dashboard.access import ANONYMOUS
from dashboard.app import AuthSettings, create_app
from dashboard.cache import CACHE_EXTENSION, cached_view, install_cache
from dashboard.context import DashboardContext
from dashboard.filters import Filters
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


REDIS_DATABASES = {"sqlite": 14, "postgres": 15}  # one Redis database per parameter: no overlap


def redis_config(world_url: str) -> Any:
    """The two-team config with its view cache in the local Redis (emptied first)."""
    import redis

    number = REDIS_DATABASES["sqlite" if world_url.startswith("sqlite") else "postgres"]
    url = f"redis://127.0.0.1:6379/{number}"
    redis.Redis.from_url(url).flushdb()
    return world.with_dashboard(
        "dashboard:"
        + world.CONFIG.split("dashboard:")[1]
        + f"  cache: {{type: redis, redis_url: '{url}'}}\n"
    )


@pytest.mark.parametrize("backend", ["default", "redis"])
def test_the_cache_answers_until_a_window_loads_and_never_across_teams(world_url, backend):
    config = redis_config(world_url) if backend == "redis" else world.config()
    app = create_app(world_url, config, auth=AuthSettings(), clock=lambda: world.NOW)
    assert app.server.extensions[CACHE_EXTENSION] is not None
    engine = make_engine(world_url)
    sessions = session_factory(engine)
    client = app.server.test_client()

    first = ask(client, world.VIEWER_A)
    assert MODEL_A in first and MODEL_B not in first
    if backend == "redis":  # the answer was kept in Redis, not in this process
        import redis

        kept = redis.Redis.from_url(config.dashboard.cache.redis_url).keys("gcm-view-*")
        assert kept, "nothing was cached in Redis"
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


def test_requests_that_miss_together_render_the_view_once(sessions):
    """Eight people opening the same cold view at once: one renders, the others get its result."""
    server = Flask(__name__)
    install_cache(server, DashboardCacheConfig(type="simple"))
    context = DashboardContext(sessions, parse_config(""), clock=lambda: world.NOW)
    renders = []

    def view(_context: DashboardContext, _filters: Filters) -> list[str]:
        renders.append(1)
        time.sleep(0.3)  # long enough for the others to arrive while it renders
        return ["the figures"]

    answer = cached_view("weekly", view)

    def open_page(_number: int) -> list[str]:
        with server.test_request_context():
            g.viewer = ANONYMOUS
            return answer(context, Filters(date(2026, 3, 9), date(2026, 3, 15)))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(open_page, range(8)))
    assert answers == [["the figures"]] * 8
    assert len(renders) == 1
