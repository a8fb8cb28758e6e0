"""`run` replicas with worker pools on one Postgres: no target collected twice in a cycle, and a
replica killed mid-target leaves the target to another once its lease has run out."""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import make_engine
from core.models import CollectorRun, WorkClaim
from monitor.migrate import upgrade
from tests.monitor.run_processes import Service, seed_world, wait_for
from tests.monitor.test_replicas import CONFIG, CYCLES, complete_cycles, cycle_of, postgres_url

__all__ = ["postgres_url"]  # the fixture, shared with test_replicas

pytestmark = pytest.mark.fault


def start(tmp_path, url: str, config_text: str, replicas: int) -> list[Service]:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    seed_world(datetime.now(UTC))
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(config_text)
    env = {**os.environ, "DATABASE_URL": url, "GENAI_MONITOR_CONFIG": str(config)}
    return [Service(tmp_path, f"replica-{n}", env) for n in range(replicas)]


def test_three_replicas_with_worker_pools_collect_each_target_once_per_cycle(
    aws, postgres_url, tmp_path
):
    # four workers in each of three replicas: twelve threads after eleven targets a cycle
    pooled = CONFIG.replace("collection:\n", "collection:\n  workers: 4\n")
    processes = start(tmp_path, postgres_url, pooled, 3)
    try:
        wait_for(
            lambda: all(
                len(cycles) >= CYCLES
                for cycles in complete_cycles([c for p in processes for c in p.claims()]).values()
            ),
            f"{CYCLES} complete cycles of every source",
            timeout=60,
        )
    finally:
        codes = [process.stop() for process in processes]
    assert codes == [0, 0, 0], [process.log()[-1500:] for process in processes]
    claims = [c for process in processes for c in process.claims() if c.status != "stopped"]
    per_target_cycle = Counter((c.source, c.region, cycle_of(c)) for c in claims)
    duplicates = {key: n for key, n in per_target_cycle.items() if n > 1}
    assert not duplicates, sorted(duplicates.items())[:5]
    assert all(c.status == "succeeded" for c in claims)
    assert len({c.pid for c in claims}) >= 2
    # the pools ran targets of one source alongside in one process: overlapping spans
    overlapped = any(
        a.pid == b.pid
        and a.source == b.source
        and a.region != b.region
        and a.started < b.ended
        and b.started < a.ended
        for a in claims
        for b in claims
    )
    assert overlapped


LEASE = 4  # seconds
KILL_CONFIG = f"""
regions: [us-east-1, us-west-2]
attribution:
  discover_inference_profiles: false
teams: [{{name: search}}]
collection:
  workers: 2
  # a hundred and twenty one-hour windows a target: long enough to be killed in the middle
  bedrock: {{interval: 3s, initial_backfill: 5d, window: 1h, claim_lease: {LEASE}s}}
"""


def held_mid_target(url: str) -> tuple[WorkClaim, int] | None:
    """A Bedrock claim being collected (some of its windows written); and its process id."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            held = connection.execute(
                select(WorkClaim).where(
                    WorkClaim.source == "bedrock",
                    WorkClaim.finished_at.is_(None),
                    WorkClaim.lease_until > datetime.now(UTC),
                )
            ).first()
            if held is None:
                return None
            written = connection.execute(
                select(CollectorRun.window_start).where(
                    CollectorRun.source == "bedrock", CollectorRun.region == held.region
                )
            ).first()
            if written is None:
                return None
            host, pid = held.claimed_by.rsplit(":", 1)
            assert host == socket.gethostname()
            return held, int(pid)
    finally:
        engine.dispose()


def windows_of(url: str, region: str) -> list[tuple[datetime, datetime]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(
                tuple(row)
                for row in connection.execute(
                    select(CollectorRun.window_start, CollectorRun.window_end).where(
                        CollectorRun.source == "bedrock",
                        CollectorRun.region == region,
                        CollectorRun.status == "succeeded",
                    )
                )
            )
    finally:
        engine.dispose()


def test_a_replica_killed_mid_target_leaves_it_to_another_within_a_lease(
    aws, postgres_url, tmp_path
):
    processes = start(tmp_path, postgres_url, KILL_CONFIG, 3)
    try:
        held, pid = wait_for(lambda: held_mid_target(postgres_url), "a target half collected", 60)
        victim = next(p for p in processes if p.process.pid == pid)
        victim.process.kill()
        killed = time.time()
        victim.process.wait(timeout=10)
        survivors = [p for p in processes if p is not victim]

        def taken_over():
            return [
                c
                for p in survivors
                for c in p.claims()
                if c.source == "bedrock"
                and c.region == held.region
                and c.started >= killed
                and c.status == "succeeded"
            ]

        # free once the lease runs out; a survivor's next cycle (every 3 s) takes it
        done = wait_for(taken_over, "another replica to finish the killed one's target", 60)
    finally:
        for process in processes:
            if process.process.poll() is None:
                process.stop()
            else:
                process.log_file.close()
    taker = done[0]
    # the lease the victim renewed last, after its last window
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        lease_end = connection.scalar(
            select(WorkClaim.lease_until).where(WorkClaim.id == held.id)
        ).timestamp()
    engine.dispose()
    print(
        f"\nkilled pid {pid} holding {held.region} until {LEASE} s after its last window; taken "
        f"over {taker.started - killed:.1f} s after the kill, {taker.started - lease_end:.1f} s "
        "after its lease ran out"
    )
    assert taker.pid != pid
    # not before the lease ran out (no target in two hands), and within a lease of that and two
    # cycles (the survivors look for free targets once a cycle, a busy one skips a cycle)
    assert lease_end <= taker.started <= lease_end + LEASE + 2 * 3
    # every window of the target is written, once, with no gap where the victim stopped
    windows = windows_of(postgres_url, held.region)
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
    assert windows[-1][1] >= datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    assert windows[0][0] <= windows[-1][1] - timedelta(days=5)
