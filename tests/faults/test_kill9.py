"""`collect` and `run` killed with SIGKILL at seeded random moments, then run to the end."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select

from core.db import make_engine
from core.models import CollectorRun
from tests.faults.harness import (
    collected,
    compare,
    differences,
    run_cli,
    start_cli,
    total,
    wait_for,
)

pytestmark = pytest.mark.fault

KILLS = 6
SEED = 1709
# bedrock, sagemaker, vector_stores, provisioned_throughput, custom_models, batch_jobs and
# invocation_logs in two regions, costs once
TARGETS = 15
DONE = re.compile(r"(\w+) \d{12}/([a-z0-9-]+): claimed .*: succeeded")


def targets_done(log: str) -> set[tuple[str, str]]:
    """The (source, region) targets a `run` log shows collected."""
    return {(m[1], m[2]) for m in DONE.finditer(log)}


def windows_recorded(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(CollectorRun)) or 0
    finally:
        engine.dispose()


def kill_at_random_points(world, url: str, args: tuple[str, ...], name: str) -> list[str]:
    """Start the command KILLS times; SIGKILL it a seeded random few windows further on than the
    last kill, a random fraction of a window later (or once it is done or 20 s have passed).

    Returns what each kill found: the windows recorded so far, or that the command had ended.
    """
    rng = random.Random(SEED)  # noqa: S311 - reproducible kill points
    points = []
    for attempt in range(KILLS):
        log = world.directory / f"{name}-{attempt}.log"
        recorded = windows_recorded(url)
        process = start_cli(world.env(url), log, *args)
        goal = recorded + rng.randint(2, 7)
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            if windows_recorded(url) >= goal:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.3))  # inside the next window's fetch or transaction
        finished = process.poll() is not None
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=30)
        assert finished or code == -signal.SIGKILL, log.read_text()
        points.append("ended" if finished else str(windows_recorded(url)))
    return points


def clean_reference(request, world, url: str) -> dict:
    clean_url = request.getfixturevalue(
        "clean_sqlite" if url.startswith("sqlite") else "postgres_clean"
    )
    clean_run = run_cli(world.env(clean_url), "collect", "all")
    assert clean_run.returncode == 0, clean_run.stderr
    return collected(clean_url, world.span)


def test_collect_killed_at_random_points_reruns_to_the_clean_tables(request, world, database):
    clean = clean_reference(request, world, database)
    points = kill_at_random_points(world, database, ("collect", "all"), "collect")
    final_run = run_cli(world.env(database), "collect", "all")
    assert final_run.returncode == 0, final_run.stderr
    got = collected(database, world.span)
    lost, extra, duplicates = compare(clean, got)
    assert (lost, extra, duplicates) == (0, 0, 0), differences(clean, got)
    kind = database.split(":")[0].split("+")[0]
    print(
        f"FAULT figure: collect kill -9 at {KILLS} random points on {kind} (windows recorded at "
        f"each kill: {', '.join(points)}): {lost} lost, {duplicates} duplicate rows of {total(clean)}"
    )


def test_run_killed_at_random_points_restarts_to_the_clean_tables(request, world, postgres):
    clean = clean_reference(request, world, postgres)
    points = kill_at_random_points(world, postgres, ("-v", "run", "--port", "0"), "run")
    log = world.directory / "run-final.log"
    service = start_cli(world.env(postgres), log, "-v", "run", "--port", "0")
    try:
        # the restarted service collects every target once itself, then holds the clean tables
        wait_for(lambda: len(targets_done(log.read_text())) == TARGETS, "every target collected")
        got = wait_for(
            lambda: (tables := collected(postgres, world.span)) == clean and tables,
            "the restarted `run` to reach the clean tables",
            timeout=30,
            every=0.5,
        )
    except AssertionError:
        got = collected(postgres, world.span)
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            code = service.wait(timeout=60)
        except subprocess.TimeoutExpired:
            service.kill()
            raise
    assert code == 0, log.read_text()[-3000:]
    lost, extra, duplicates = compare(clean, got)
    assert (lost, extra, duplicates) == (0, 0, 0), differences(clean, got)
    print(
        f"FAULT figure: run kill -9 at {KILLS} random points on postgres (windows recorded at "
        f"each kill: {', '.join(points)}): {lost} lost, {duplicates} duplicate rows of {total(clean)}"
    )
