"""Rate limits per (account, region, API): paced buckets, and every client's requests through them."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.aws import ClientFactory, Target
from core.rate_limit import DEFAULT_RATES, PacedBucket, RateLimiter
from core.settings import ConfigError, parse_config


class FakeTime:
    """A clock that only moves when someone sleeps (each sleeper's wait is its own)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)


def test_a_bucket_hands_consecutive_slots_to_concurrent_callers():
    fake = FakeTime()
    bucket = PacedBucket(rate=50, clock=fake.clock)
    with ThreadPoolExecutor(16) as pool:
        slots = sorted(pool.map(lambda _: bucket.reserve(), range(200)))
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert slots[0] == fake.now
    assert min(gaps) == pytest.approx(1 / 50) and max(gaps) == pytest.approx(1 / 50)


def test_an_idle_bucket_grants_at_once_and_paces_from_there():
    fake = FakeTime()
    bucket = PacedBucket(rate=4, clock=fake.clock)
    assert bucket.reserve() == 100.0
    fake.now = 200.0  # long idle: no saved-up burst
    assert [bucket.reserve() for _ in range(3)] == [200.0, 200.25, 200.5]


def test_one_accounts_queue_does_not_slow_another_account():
    fake = FakeTime()
    limiter = RateLimiter({"cloudwatch": 10}, clock=fake.clock, sleep=fake.sleep)
    waits = [
        limiter.wait("111111111111", "us-east-1", "cloudwatch", "ListMetrics") for _ in range(20)
    ]
    assert waits[0] == 0 and waits[-1] == pytest.approx(1.9)
    # another account, another region of the same account: their own buckets
    assert limiter.wait("222222222222", "us-east-1", "cloudwatch", "ListMetrics") == 0
    assert limiter.wait("111111111111", "us-west-2", "cloudwatch", "ListMetrics") == 0
    assert limiter.wait("111111111111", "us-east-1", "cloudwatch", "ListMetrics") == pytest.approx(
        2.0
    )


def test_an_operation_with_its_own_rate_has_its_own_bucket_and_zero_is_no_limit():
    fake = FakeTime()
    limiter = RateLimiter(
        {"cloudwatch": 1, "cloudwatch:GetMetricData": 2, "default": 0},
        clock=fake.clock,
        sleep=fake.sleep,
    )
    account = ("111111111111", "us-east-1")
    assert limiter.wait(*account, "cloudwatch", "ListMetrics") == 0
    assert limiter.wait(*account, "cloudwatch", "ListMetrics") == pytest.approx(1.0)
    assert limiter.wait(*account, "cloudwatch", "GetMetricData") == 0
    assert limiter.wait(*account, "cloudwatch", "GetMetricData") == pytest.approx(0.5)
    assert limiter.rate("sagemaker", "ListEndpoints") is None
    assert [limiter.wait(*account, "sagemaker", "ListEndpoints") for _ in range(5)] == [0.0] * 5
    assert (
        RateLimiter().rate("cloudwatch", "GetMetricData")
        == DEFAULT_RATES["cloudwatch:GetMetricData"]
    )


def test_config_sets_workers_retry_mode_and_rates():
    collection = parse_config(
        "collection: {workers: 16, retry_mode: standard, rate_limits: {ce: 2, cloudwatch: 0}}"
    ).collection
    assert (collection.workers, collection.worker_count, collection.retry_mode) == (
        16,
        16,
        "standard",
    )
    assert collection.rate_limits == {"ce": 2, "cloudwatch": 0}
    default = parse_config("").collection
    assert default.retry_mode == "adaptive" and 1 <= default.worker_count <= 8
    for bad in (
        "{workers: 0}",
        "{workers: many}",
        "{retry_mode: legacy}",
        "{rate_limits: {ce: -1}}",
    ):
        with pytest.raises(ConfigError, match="collection"):
            parse_config(f"collection: {bad}")


RATE = 20  # calls per second per account in the test below: slow enough to measure, fast to run


def test_many_workers_never_exceed_one_accounts_rate_and_another_account_is_not_slowed(
    aws, monkeypatch
):
    limiter = RateLimiter({"cloudwatch": RATE})
    factory = ClientFactory(limiter=limiter)
    busy, other = Target("111111111111", "us-east-1"), Target("222222222222", "us-east-1")
    slots: dict[str, list[float]] = {busy.account_id: [], other.account_id: []}
    waits: dict[str, list[float]] = {busy.account_id: [], other.account_id: []}
    sent: dict[str, list[float]] = {busy.account_id: [], other.account_id: []}
    lock = threading.Lock()
    reserve, wait = PacedBucket.reserve, limiter.wait

    def noted_reserve(bucket):
        slot = reserve(bucket)
        with lock:
            slots[current.account].append(slot)
        return slot

    current = threading.local()

    def noted_wait(account, region, service, operation):
        current.account = account
        waited = wait(account, region, service, operation)
        with lock:
            waits[account].append(waited)
        return waited

    monkeypatch.setattr(PacedBucket, "reserve", noted_reserve)
    monkeypatch.setattr(limiter, "wait", noted_wait)

    def recorded(target: Target):
        client = factory.client("cloudwatch", target)

        # registered after the limiter's hook: called once the request has its slot
        def note(**_):
            with lock:
                sent[target.account_id].append(time.monotonic())

        client.meta.events.register("request-created", note)
        return client

    busy_client, other_client = recorded(busy), recorded(other)
    with ThreadPoolExecutor(9) as pool:
        busy_calls = [
            pool.submit(lambda: [busy_client.list_metrics() for _ in range(5)]) for _ in range(8)
        ]
        other_calls = pool.submit(lambda: [other_client.list_metrics() for _ in range(5)])
        for call in [*busy_calls, other_calls]:
            call.result()
    busy_slots, busy_sent = sorted(slots[busy.account_id]), sorted(sent[busy.account_id])
    assert len(busy_slots) == len(busy_sent) == 40 and len(sent[other.account_id]) == 5
    # eight workers on one account: its calls had slots 1 / RATE apart, and none went before
    # its slot (the i-th call sent is no earlier than the i-th slot)
    gaps = [b - a for a, b in zip(busy_slots, busy_slots[1:], strict=False)]
    assert min(gaps) >= 1 / RATE - 1e-9
    assert all(s >= slot for s, slot in zip(busy_sent, busy_slots, strict=True))
    # the other account waited for its own pace alone, while the busy one queued for seconds
    assert max(waits[other.account_id]) <= 1 / RATE + 1e-9
    assert max(waits[busy.account_id]) >= 5 / RATE
    assert factory.counter.count("cloudwatch", "ListMetrics") == 45
