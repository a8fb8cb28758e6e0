"""What every rule shares: the finding a rule returns, and how amounts and durations read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One subject for which a rule's condition holds now."""

    rule: str
    subject: str
    team: str
    severity: str
    message: str
    # when the condition began, from the evidence; None: when the engine first saw it
    active_since: datetime | None = None
    # the condition must have held this long before the alert fires
    hold_for: timedelta = timedelta(0)
    silenced_until: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # findings of one rule with the same inhibit_group: while the highest-ranked of them fires,
    # it inhibits the others (they stay open, unshown and untold)
    inhibit_group: str | None = None
    rank: float = 0.0


def money(value: Decimal | None) -> str:
    """Dollars with cents, or words when the amount is unknown."""
    return "an unknown amount" if value is None else f"${value:,.2f}"


def hours(delta: timedelta) -> str:
    """A duration in hours, or in days past three days."""
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f}h" if hours < 72 else f"{hours / 24:.1f} days"
