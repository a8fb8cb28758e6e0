"""Per-cycle work claims on both databases: two or three "replicas" (engines of their own, in
threads) split a cycle with each target taken once; a finished target is never taken again;
an expired lease is free again; a target held for an earlier cycle waits."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.claims import Claims, LeaseLost
from core.db import make_engine
from core.models import WorkClaim

CYCLE = datetime(2026, 11, 3, 10, 5, tzinfo=UTC)
NOW = CYCLE + timedelta(seconds=1)
LEASE = timedelta(minutes=15)
TARGETS = [
    (f"1234567890{n:02d}", region) for n in range(6) for region in ("us-east-1", "eu-west-1")
]


@pytest.fixture
def replicas(engine, database_url):
    """Three processes' claims, each on an engine (a connection pool) of its own."""
    engines = [engine] + [make_engine(database_url) for _ in range(2)]
    yield [Claims(e, owner=f"host:{100 + n}") for n, e in enumerate(engines)]
    for other in engines[1:]:
        other.dispose()


def drain(claims: Claims, taken: list, barrier: threading.Barrier) -> None:
    """What `run` does in a cycle: offer every target, then take and finish until none is free."""
    barrier.wait()
    claims.offer("bedrock", CYCLE, TARGETS)
    while (claim := claims.take("bedrock", CYCLE, NOW, LEASE)) is not None:
        taken.append((claims.owner, claim.account_id, claim.region))
        claims.finish(claim, "succeeded", NOW)


def test_replicas_take_each_target_once_per_cycle(replicas):
    taken: list = []
    barrier = threading.Barrier(len(replicas))
    errors: list = []

    def work(claims):
        try:
            drain(claims, taken, barrier)
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    per_target = Counter((account, region) for _, account, region in taken)
    print(
        f"\n{len(per_target)} targets, {sum(per_target.values())} claims by {len(replicas)} replicas"
    )
    assert per_target == Counter(dict.fromkeys(TARGETS, 1))
    # a replica coming late to a finished cycle finds nothing to do
    late = replicas[0]
    late.offer("bedrock", CYCLE, TARGETS)
    assert late.take("bedrock", CYCLE, NOW + timedelta(hours=2), LEASE) is None


def test_a_held_target_is_skipped_until_its_lease_expires(replicas):
    first, second = replicas[:2]
    first.offer("costs", CYCLE, TARGETS[:1])
    claim = first.take("costs", CYCLE, NOW, LEASE)
    assert claim is not None
    assert second.take("costs", CYCLE, NOW + LEASE - timedelta(seconds=1), LEASE) is None
    # the first process renews after a window: still held at the old expiry
    first.renew(claim, NOW + timedelta(minutes=10), LEASE)
    assert second.take("costs", CYCLE, NOW + LEASE + timedelta(seconds=1), LEASE) is None
    # then it dies: once the lease runs out another process takes the target over
    later = NOW + timedelta(minutes=10) + LEASE + timedelta(seconds=1)
    taken = second.take("costs", CYCLE, later, LEASE)
    assert taken is not None and (taken.account_id, taken.region) == TARGETS[0]
    # the first process, back, learns it lost the target and cannot finish it
    with pytest.raises(LeaseLost):
        first.renew(claim, later, LEASE)
    second.finish(taken, "succeeded", later)
    assert first.take("costs", CYCLE, later + 2 * LEASE, LEASE) is None


def test_a_target_held_for_an_earlier_cycle_is_not_taken_for_the_next(replicas):
    first, second = replicas[:2]
    first.offer("costs", CYCLE, TARGETS[:1])
    earlier = first.take("costs", CYCLE, NOW, LEASE)
    next_cycle = CYCLE + timedelta(hours=1)
    second.offer("costs", next_cycle, TARGETS[:1])
    # still collecting the earlier cycle, within its lease (a long backfill, say)
    during = NOW + timedelta(minutes=5)
    assert second.take("costs", next_cycle, during, LEASE) is None
    first.finish(earlier, "succeeded", during)
    # whoever is free then collects it: the process that held it, done with the earlier cycle
    later = first.take("costs", CYCLE, during, LEASE)
    assert later is not None and later.cycle_start == next_cycle
    assert second.take("costs", next_cycle, during, LEASE) is None


def test_a_target_left_behind_by_a_cycle_is_caught_up_oldest_first(replicas):
    first, second, third = replicas
    cycles = [CYCLE + timedelta(seconds=3 * n) for n in range(3)]
    first.offer("bedrock", cycles[0], TARGETS[:1])
    held = first.take("bedrock", cycles[0], NOW, LEASE)
    for cycle in cycles[1:]:  # two more cycles come while the first still collects
        second.offer("bedrock", cycle, TARGETS[:1])
        assert second.take("bedrock", cycle, NOW, LEASE) is None
    first.finish(held, "succeeded", NOW)
    # a process in the newest cycle takes its own; the one left behind waits for it
    newest = third.take("bedrock", cycles[2], NOW, LEASE)
    assert newest.cycle_start == cycles[2]
    assert first.take("bedrock", cycles[0], NOW, LEASE) is None
    third.finish(newest, "succeeded", NOW)
    behind = first.take("bedrock", cycles[0], NOW, LEASE)
    assert behind.cycle_start == cycles[1]
    first.finish(behind, "succeeded", NOW)
    assert first.take("bedrock", cycles[0], NOW, LEASE) is None


def test_old_cycles_are_pruned(replicas, sessions):
    claims = replicas[0]
    for hours in range(5):
        claims.offer("bedrock", CYCLE + timedelta(hours=hours), TARGETS[:2])
    claims.offer("costs", CYCLE, TARGETS[:2])
    assert claims.prune("bedrock", CYCLE + timedelta(hours=3)) == 6
    with sessions() as session:
        kept = session.scalars(
            select(func.min(WorkClaim.cycle_start)).where(WorkClaim.source == "bedrock")
        ).one()
        others = session.scalar(select(func.count()).where(WorkClaim.source == "costs"))
    assert kept == CYCLE + timedelta(hours=3) and others == 2


def test_a_released_claim_is_free_at_once(replicas):
    first, second = replicas[:2]
    first.offer("bedrock", CYCLE, TARGETS[:1])
    claim = first.take("bedrock", CYCLE, NOW, LEASE)
    first.release(claim)  # stopping mid-target: the next process continues the cycle
    assert second.take("bedrock", CYCLE, NOW, LEASE) is not None


def test_claims_a_failed_job_left_are_freed_when_its_process_runs_the_source_again(replicas):
    first, second = replicas[:2]
    first.offer("bedrock", CYCLE, TARGETS[:2])
    abandoned = first.take("bedrock", CYCLE, NOW, LEASE)  # the database went mid-target
    others = second.take("bedrock", CYCLE, NOW, LEASE)
    assert abandoned is not None and others is not None
    # the next cycle, a second later: the target is held for the first cycle, so not taken
    later = CYCLE + timedelta(seconds=2)
    first.offer("bedrock", later, TARGETS[:2])
    assert first.take("bedrock", later, later, LEASE) is None
    # the process that left the claim starts its next job of the source: it frees its own only
    assert first.release_abandoned("bedrock") == 1
    assert first.release_abandoned("costs") == 0
    retaken = first.take("bedrock", CYCLE, later, LEASE)
    assert retaken is not None and retaken.id == abandoned.id
    second.renew(others, later, LEASE)  # the other process's claim is still its own


def test_a_kept_claim_outlasts_its_lease_and_lapses_once_let_go(replicas):
    first, second = replicas[:2]
    lease = timedelta(seconds=0.6)
    clock = lambda: datetime.now(UTC)  # noqa: E731 - the keeper renews on the real clock
    first.offer("alerts", CYCLE, TARGETS[:1])
    claim = first.take("alerts", CYCLE, clock(), lease)
    assert claim is not None
    with first.kept(claim, lease, clock):
        time.sleep(3 * lease.total_seconds())
        # three leases later the work still runs, and its claim is still held
        assert second.take("alerts", CYCLE, clock(), lease) is None
    time.sleep(1.5 * lease.total_seconds())
    # let go without finishing (the process died): the lease lapses and the work is free again
    taken = second.take("alerts", CYCLE, clock(), lease)
    assert taken is not None and taken.id == claim.id
