"""Bedrock per team and model: the estimate at list price, the estimate at the bill's effective
rates, and the billed amount, side by side, with the gap that remains."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, CostUsageDaily
from core.queries.common import as_day, between, chosen, usd
from core.queries.effective_rates import (
    TokenRates,
    effective_rates,
    model_key,
    usage_model_key,
    usage_region,
)
from core.services import BEDROCK_SERVICE, MARKETPLACE_SUFFIX

# how far back an effective rate is looked for, for the hours the bill does not cover yet
RATE_LOOKBACK = timedelta(days=35)
HUNDRED = Decimal(100)
KINDS = ("input", "output", "cache_read", "cache_write")


@dataclass
class ModelReconciliation:
    """One team and model over some days: list estimate, effective-rate estimate and the bill."""

    team: str
    model: str
    list_usd: Decimal = Decimal(0)
    effective_usd: Decimal = Decimal(0)  # at the bill's rates where known, else at list
    billed_usd: Decimal = Decimal(0)
    # the effective-rate estimate of the (day, region)s the bill covers: what the gap compares
    effective_billed_days_usd: Decimal = Decimal(0)
    unpriced_hours: int = 0

    @property
    def gap_pct(self) -> Decimal | None:
        """(billed - effective estimate) / billed over the billed days, in percent; None unbilled."""
        if not self.billed_usd:
            return None
        return (self.billed_usd - self.effective_billed_days_usd) / self.billed_usd * HUNDRED


def _hour_effective(
    rates: TokenRates, model: str, region: str, day: date, tokens: dict[str, int]
) -> Decimal | None:
    """An hour's tokens at the bill's per-token rates; None if a used kind has no rate."""
    total = Decimal(0)
    for kind, count in tokens.items():
        if not count:
            continue
        per_token = rates.per_token(model, region, kind, day)
        if per_token is None:
            return None
        total += per_token * count
    return total


def _billed(
    session: Session, start: date, end: date, teams: list[str] | None
) -> dict[tuple[str, str], dict[tuple[date, str], Decimal]]:
    """Billed Bedrock token spend per (team, model key) and (day, region)."""
    line = CostUsageDaily
    bedrock = (line.service == BEDROCK_SERVICE) | line.service.like(f"%{MARKETPLACE_SUFFIX}")
    statement = (
        select(line.day, line.team, line.service, line.usage_type, func.sum(line.amount_usd))
        .where(*between(line.day, start, end), *chosen((line.team, teams)), bedrock)
        .group_by(line.day, line.team, line.service, line.usage_type)
    )
    billed: dict[tuple[str, str], dict[tuple[date, str], Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for day, team, service, usage_type, amount in session.execute(statement):
        parsed = usage_model_key(service, usage_type)
        if parsed is not None:
            billed[(team, parsed[0])][(as_day(day), usage_region(usage_type))] += usd(amount)
    return billed


@dataclass(frozen=True)
class PricedHour:
    """One hour of one team, model and region: the estimate at list price and at the bill's rates."""

    day: date
    team: str
    model: str
    region: str
    list_usd: Decimal
    effective_usd: Decimal | None  # None: the bill has no rate for a kind the hour used
    unpriced: int


def priced_hours(
    session: Session, rates: TokenRates, start: date, end: date, teams: list[str] | None = None
) -> Iterator[PricedHour]:
    """Every team, model and region hour of the UTC days [start, end), at list and at ``rates``."""
    usage = BedrockUsageHourly
    # summed per hour in SQL and folded into UTC days here: a date() of a timestamptz
    # depends on the Postgres session's time zone
    hourly = (
        select(
            usage.hour,
            usage.team,
            usage.base_model_id,
            usage.region,
            func.sum(usage.input_tokens),
            func.sum(usage.output_tokens),
            func.sum(usage.cache_read_tokens),
            func.sum(usage.cache_write_tokens),
            func.sum(usage.estimated_cost_usd),
            func.sum(case((usage.priced.is_(False), 1), else_=0)),
        )
        .where(
            usage.hour >= datetime.combine(start, time(0), tzinfo=UTC),
            usage.hour < datetime.combine(end, time(0), tzinfo=UTC),
            *chosen((usage.team, teams)),
        )
        .group_by(usage.hour, usage.team, usage.base_model_id, usage.region)
    )
    for hour, team, model, region, *counts, cost, unpriced in session.execute(hourly):
        day = hour.astimezone(UTC).date()
        tokens = dict(zip(KINDS, (int(c or 0) for c in counts), strict=True))
        at_rate = _hour_effective(rates, model, region, day, tokens)
        yield PricedHour(day, team, model, region, usd(cost), at_rate, int(unpriced or 0))


@dataclass(frozen=True)
class PricedWindow:
    """The bill's token rates and every hour of some days priced at list and at those rates:
    read once for the daily and the per-model reconciliation alike."""

    rates: TokenRates
    hours: list[PricedHour]


def priced_window(
    session: Session, start: date, end: date, teams: list[str] | None = None
) -> PricedWindow:
    """The UTC days [start, end) priced at list and at the bill's effective rates."""
    rates = TokenRates(effective_rates(session, start - RATE_LOOKBACK, end))
    return PricedWindow(rates, list(priced_hours(session, rates, start, end, teams)))


def model_reconciliation(
    session: Session,
    start: date,
    end: date,
    teams: list[str] | None = None,
    priced: PricedWindow | None = None,
) -> list[ModelReconciliation]:
    """Per team and model over the UTC days [start, end): list, effective and billed, costliest
    first (``priced``: those days already priced, for the same teams)."""
    priced = priced or priced_window(session, start, end, teams)
    billed = _billed(session, start, end, teams)
    found: dict[tuple[str, str], ModelReconciliation] = {}
    for hour in priced.hours:
        key = (hour.team, model_key(hour.model))
        row = found.setdefault(key, ModelReconciliation(hour.team, hour.model))
        effective = hour.list_usd if hour.effective_usd is None else hour.effective_usd
        row.list_usd += hour.list_usd
        row.effective_usd += effective
        row.unpriced_hours += hour.unpriced
        if (hour.day, hour.region) in billed.get(key, {}):
            row.effective_billed_days_usd += effective
    for (team, bill_key), days in billed.items():
        row = found.setdefault((team, bill_key), ModelReconciliation(team, bill_key))
        row.billed_usd = sum(days.values(), Decimal(0))
    return sorted(found.values(), key=lambda r: (-r.billed_usd, -r.list_usd, r.team, r.model))
