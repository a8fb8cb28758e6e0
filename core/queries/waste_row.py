"""What every kind of waste answers: one row per idle or under-used resource, and the scope asked for.

A kind's provider (one function per kind: idle endpoints, idle provisioned throughput, idle
vector stores, ...) takes a session and a :class:`WasteScope` and returns :class:`WasteRow`
rows (or mappings holding exactly :data:`WASTE_FIELDS`); :mod:`core.queries.waste` lists the
providers and combines their rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

# DESIGN §3 prices "if left running" over a month of 730 hours (365 * 24 / 12)
HOURS_PER_MONTH = Decimal(730)
_MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class WasteRow:
    """One idle or under-used resource: what it is, whose, since when, and what it costs."""

    kind: str
    resource: str  # the ARN, as `act` takes it
    name: str
    account_id: str
    region: str
    team: str
    idle_since: datetime
    idle_hours: Decimal
    burnt_usd: Decimal | None  # billed while idle so far; None when unpriced (never $0)
    monthly_usd: Decimal | None  # a month (730 h) at today's hourly rate; None when unpriced
    action: str  # what stops it: "delete (snapshot first)", "scale-to-zero", "report only"


# the export columns of `genai-monitor waste` (DESIGN §3), in their order
WASTE_FIELDS = tuple(column.name for column in fields(WasteRow))


@dataclass(frozen=True)
class UnderUse:
    """What makes a busy resource under-used (the config's ``waste`` section; these are its defaults).

    ``window``: the recent history judged (a resource younger than it is never under-used);
    ``invocations_per_instance_hour``: what one endpoint instance carries in an hour;
    ``provisioned_busy_share``: a Provisioned Throughput called in fewer than this share of its
    hours is under-used (when its tokens would cost less on demand); ``price_overrides``: the
    config's token price overrides, which price those tokens.
    """

    window: timedelta = timedelta(days=7)
    invocations_per_instance_hour: int = 1000
    provisioned_busy_share: Decimal = Decimal("0.5")
    price_overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WasteScope:
    """The question a provider answers: waste as of ``at``, for these teams (None: every team).

    ``min_idle`` holds each kind's idle threshold (the ``for`` of its alert rule); a kind not
    named there uses its own default.
    """

    at: datetime
    teams: list[str] | None = None
    accounts: list[str] | None = None
    regions: list[str] | None = None
    min_idle: Mapping[str, timedelta] = field(default_factory=dict)
    under_use: UnderUse = field(default_factory=UnderUse)

    def threshold(self, kind: str, default: timedelta) -> timedelta:
        """The idle threshold of ``kind``: the configured one, else ``default``."""
        return self.min_idle.get(kind, default)


# a kind's provider: every idle resource of that kind in the scope
Provider = Callable[[Session, WasteScope], Iterable[WasteRow | Mapping[str, Any]]]


@dataclass(frozen=True)
class WasteKind:
    """One kind of waste: its name (the rows' ``kind``), its provider, and the alert rule whose
    ``for`` is its idle threshold (``default_for`` without such a rule in the config)."""

    name: str
    provider: Provider
    rule: str | None = None
    default_for: timedelta = timedelta(hours=24)


def per_month(hourly_usd: Decimal | None) -> Decimal | None:
    """An hourly rate over a month of 730 hours, to the money columns' 6 places (None stays None)."""
    return None if hourly_usd is None else (hourly_usd * HOURS_PER_MONTH).quantize(_MICRO)


def hours_between(start: datetime, end: datetime) -> Decimal:
    """The hours from ``start`` to ``end`` as Decimal, to 6 places."""
    return (Decimal(int((end - start).total_seconds())) / 3600).quantize(_MICRO)
