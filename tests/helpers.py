"""Test-harness glue: a clock a test can move and a client factory with a few swapped clients.

The worlds the tests put into moto are built with `demo.seed` and `demo.standins`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.aws import ClientFactory, Target


class Clock:
    """A fixed "now" a test can move."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class OverridingFactory:
    """The real client factory, except for a few (service, account, region) clients a test supplies."""

    def __init__(self, base: ClientFactory, overrides: dict) -> None:
        self.base = base
        self.counter = base.counter
        self.overrides = overrides

    def __call__(self, service: str, target: Target) -> Any:
        return self.overrides.get((service, target.account_id, target.region)) or self.base(
            service, target
        )
