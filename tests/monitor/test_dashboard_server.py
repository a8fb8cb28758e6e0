"""`genai-monitor dashboard` for real: gunicorn with N workers over real HTTP, trusted-header
auth behind it, and one view cache its workers share (both databases)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from core.db import make_engine, session_factory
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
WORKERS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # the command may hold spaces and parentheses: the fields after its last ")"
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture(params=["sqlite", "postgres"])
def world_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from seeded_database(request.param, tmp_path, world.seed)


@pytest.fixture
def server(world_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """`genai-monitor dashboard --workers 2` on a free port, its cache in a known directory."""
    cache = tmp_path / "cache"
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(
        world.CONFIG + f"  server: {{threads: 2}}\n  cache: {{type: filesystem, dir: '{cache}'}}\n"
    )
    port = free_port()
    env = {**os.environ, "DATABASE_URL": world_url, "GENAI_MONITOR_CONFIG": str(config)}
    for name in ("GENAI_MONITOR_DASHBOARD_USER", "GENAI_MONITOR_DASHBOARD_PASSWORD"):
        env.pop(name, None)
    command = [sys.executable, "-m", "monitor.cli", "dashboard", "--port", str(port)]
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [*command, "--workers", str(WORKERS)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                requests.get(url + "/", headers=world.VIEWER_A, timeout=5)
                break
            except requests.RequestException:  # not listening yet, or its workers still booting
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.3)
        yield url, process, cache
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def ask(url: str, headers: dict[str, str]) -> str:
    answer = requests.post(
        url + world.CALLBACK, json=bedrock_request(), headers=headers, timeout=60
    )
    assert answer.status_code == 200, answer.text[:500]
    return answer_text(answer.json())


def test_gunicorn_workers_serve_pages_scoped_and_share_one_cache(server: Any, world_url: str):
    url, process, cache = server
    workers = children(process.pid)
    assert len(workers) == WORKERS, workers

    page = requests.get(url + "/bedrock", headers=world.VIEWER_A, timeout=30)
    assert page.status_code == 200 and "GenAI cost monitor" in page.text
    assert page.headers["Server"].startswith("gunicorn")
    # trusted_header auth behind gunicorn: no header, no dashboard; an unmapped group, refused
    assert requests.get(url + "/bedrock", timeout=30).status_code in {401, 403}
    assert requests.get(url + "/bedrock", headers=world.NOBODY, timeout=30).status_code == 403

    # two teams at once, every worker busy: each gets its own figures, never the other's
    people = [world.VIEWER_A, ZULU] * 6
    with ThreadPoolExecutor(len(people)) as pool:
        answers = list(pool.map(lambda headers: ask(url, headers), people))
    for headers, text in zip(people, answers, strict=True):
        own, other = (MODEL_A, MODEL_B) if headers is world.VIEWER_A else (MODEL_B, MODEL_A)
        assert own in text and other not in text
    assert any(cache.iterdir()), "nothing was kept in the shared cache directory"

    engine = make_engine(world_url)
    sessions = session_factory(engine)
    write_behind_the_version(sessions, "acme.behind-the-version-v1:0")
    with ThreadPoolExecutor(WORKERS * 2) as pool:
        cached = list(pool.map(lambda _n: ask(url, world.VIEWER_A), range(WORKERS * 4)))
    # whichever worker answered, the answer came from the cache they share
    assert not any("acme.behind-the-version-v1:0" in text for text in cached)

    load_window(sessions, "acme.loaded-window-v1:0")
    fresh = ask(url, world.VIEWER_A)
    assert "acme.loaded-window-v1:0" in fresh and "acme.behind-the-version-v1:0" in fresh
    assert MODEL_B not in fresh
    engine.dispose()
