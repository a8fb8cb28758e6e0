"""Bedrock per UTC day and team: the estimate at list price, at the bill's effective rates, and
the bill; the days the bill does not cover yet are estimated at the latest effective rate known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from core.queries.costs import bedrock_billed, last_bedrock_bill_day
from core.queries.model_reconciliation import PricedWindow, priced_window


@dataclass
class DailyReconciliation:
    """One team-day: list estimate, effective-rate estimate and the Bedrock bill.

    ``billed_day`` is false for a day after the bill's last day: its effective estimate is at
    the latest rate the bill gave up to it (``rate_day``), not at that day's own rate.
    """

    day: date
    team: str
    list_usd: Decimal = Decimal(0)
    # at the bill's rates where known (that day's, else the latest earlier one), else at list
    effective_usd: Decimal = Decimal(0)
    billed_usd: Decimal = Decimal(0)
    unpriced_hours: int = 0
    billed_day: bool = True
    rate_day: date | None = None

    @property
    def gap_usd(self) -> Decimal | None:
        """Billed minus the effective-rate estimate; None on a day the bill does not cover yet."""
        return self.billed_usd - self.effective_usd if self.billed_day else None


def daily_reconciliation(
    session: Session,
    start: date,
    end: date,
    teams: list[str] | None = None,
    priced: PricedWindow | None = None,
) -> list[DailyReconciliation]:
    """Per UTC day in [start, end) and team of ``teams``: list, effective and billed, oldest
    first (``priced``: those days already priced, for the same teams)."""
    priced = priced or priced_window(session, start, end, teams)
    rates = priced.rates
    last_billed = last_bedrock_bill_day(session, end)
    found: dict[tuple[date, str], DailyReconciliation] = {}

    def row(day: date, team: str) -> DailyReconciliation:
        if (day, team) not in found:
            billed_day = last_billed is not None and day <= last_billed
            rate_day = None if billed_day else rates.latest_day(day)
            found[(day, team)] = DailyReconciliation(
                day, team, billed_day=billed_day, rate_day=rate_day
            )
        return found[(day, team)]

    for hour in priced.hours:
        line = row(hour.day, hour.team)
        line.list_usd += hour.list_usd
        line.effective_usd += hour.list_usd if hour.effective_usd is None else hour.effective_usd
        line.unpriced_hours += hour.unpriced
    for (day, team), amount in bedrock_billed(session, start, end, teams).items():
        row(day, team).billed_usd = amount
    return [found[key] for key in sorted(found)]
