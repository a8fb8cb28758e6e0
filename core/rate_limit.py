"""Client-side rate limits per (account, region, AWS API), so concurrent workers do not throttle
one account: every request attempt waits for its slot in a paced bucket (core.aws hooks it on
each client).

AWS's quotas are per account and region (Cost Explorer's per account: its one region), so the
buckets are too; a rate named ``service:Operation`` gets its own bucket, other operations of the
service share the service's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

# Calls per second per account and region, near AWS's documented default quotas, a little under
# where a quota is shared with other callers of the account. ``default`` covers the rest.
DEFAULT_RATES: dict[str, float] = {
    "cloudwatch": 25,  # ListMetrics: 25 TPS
    "cloudwatch:GetMetricData": 50,  # 50 TPS
    "cloudwatch:GetMetricStatistics": 400,  # 400 TPS
    "ce": 5,  # Cost Explorer: a few requests per second per account
    "bedrock": 10,
    "bedrock-agent": 10,
    "sagemaker": 10,
    "opensearchserverless": 10,
    "application-autoscaling": 10,
    "athena": 20,  # StartQueryExecution 20 TPS (GetQueryExecution is higher)
    "pricing": 10,
    "sts": 50,
    "s3": 100,  # thousands per prefix: the limit only keeps a runaway loop polite
    "default": 10,
}


class PacedBucket:
    """Grants one call every ``1 / rate`` seconds, in order of asking; thread-safe.

    A slot is reserved under the lock and waited for outside it, so N waiting threads hold
    N consecutive slots and no burst goes past the rate.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("a rate must be above zero")
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = float("-inf")
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """The time of the next free slot (now if the bucket is idle), taken for the caller."""
        with self._lock:
            slot = max(self._clock(), self._next)
            self._next = slot + self.interval
            return slot


class RateLimiter:
    """Buckets per (account, region, service or service:Operation), made on first use."""

    def __init__(
        self,
        rates: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str, str], PacedBucket | None] = {}
        self._lock = threading.Lock()

    def rate(self, service: str, operation: str) -> float | None:
        """Calls per second allowed to ``service:operation`` (None: unlimited)."""
        for key in (f"{service}:{operation}", service, "default"):
            if key in self.rates:
                rate = self.rates[key]
                return rate if rate > 0 else None
        return None

    def wait(self, account: str, region: str, service: str, operation: str) -> float:
        """Block until this call may be sent; returns the seconds waited."""
        bucket = self._bucket(account, region, service, operation)
        if bucket is None:
            return 0.0
        delay = bucket.reserve() - self._clock()
        if delay > 0:
            self._sleep(delay)
            return delay
        return 0.0

    def _bucket(
        self, account: str, region: str, service: str, operation: str
    ) -> PacedBucket | None:
        api = f"{service}:{operation}" if f"{service}:{operation}" in self.rates else service
        key = (account, region, api)
        with self._lock:
            if key not in self._buckets:
                rate = self.rate(service, operation)
                self._buckets[key] = PacedBucket(rate, self._clock) if rate else None
            return self._buckets[key]
