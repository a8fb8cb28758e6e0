"""Billed GenAI spend (Cost Explorer lines): the lines, spend per day or in total, and the Bedrock bill next to its estimate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, CostDaily
from core.models_rollups import RollupDailyBedrockUsage
from core.queries.common import as_day, between, chosen, usd
from core.queries.daily import parts
from core.services import BEDROCK_SERVICE, MARKETPLACE_SUFFIX

# The dimensions billed spend can be grouped by, and the column behind each.
COST_DIMENSIONS = {
    "team": CostDaily.team,
    "service": CostDaily.service,
    "account": CostDaily.account_id,
}


def _lines_where(
    start: date | None,
    end: date | None,
    teams: list[str] | None,
    accounts: list[str] | None,
    services: list[str] | None,
) -> list[Any]:
    """The conditions choosing the lines of the days in [start, end), teams, accounts and services."""
    return between(CostDaily.day, start, end) + chosen(
        (CostDaily.team, teams), (CostDaily.account_id, accounts), (CostDaily.service, services)
    )


def _spend_by(by: str, first: tuple[Any, ...], where: list[Any]) -> Select[Any]:
    """Billed spend of the lines ``where`` chooses, summed per the ``first`` columns and ``by``."""
    key = COST_DIMENSIONS[by]
    return select(*first, key, func.sum(CostDaily.amount_usd)).where(*where).group_by(*first, key)


def cost_lines(
    session: Session,
    start: date | None = None,
    end: date | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    services: list[str] | None = None,
) -> Iterator[CostDaily]:
    """Cost Explorer lines of the days in [start, end), oldest first, streamed from the database."""
    statement = (
        select(CostDaily)
        .where(*_lines_where(start, end, teams, accounts, services))
        .order_by(
            CostDaily.day,
            CostDaily.account_id,
            CostDaily.service,
            CostDaily.usage_group,
            CostDaily.team,
        )
    )
    yield from session.scalars(statement.execution_options(yield_per=2000))


def spend_daily(
    session: Session,
    start: date,
    end: date,
    by: str = "team",
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    services: list[str] | None = None,
) -> list[tuple[date, str, Decimal]]:
    """Billed GenAI spend per day in [start, end) and ``by`` (a COST_DIMENSIONS key), oldest first."""
    statement = _spend_by(by, (CostDaily.day,), _lines_where(start, end, teams, accounts, services))
    return sorted(
        (as_day(day), name, usd(amount)) for day, name, amount in session.execute(statement)
    )


def spend_totals(
    session: Session,
    start: date,
    end: date,
    by: str = "team",
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
) -> dict[str, Decimal]:
    """Billed GenAI spend over the days in [start, end) per ``by`` (a COST_DIMENSIONS key)."""
    statement = _spend_by(by, (), _lines_where(start, end, teams, accounts, None))
    return {name: usd(amount) for name, amount in session.execute(statement)}


@dataclass(frozen=True)
class BedrockReconciliation:
    """One team-day: the Bedrock estimate from token metrics next to the Bedrock bill."""

    day: date
    team: str
    estimated_usd: Decimal
    billed_usd: Decimal
    unpriced_hours: int

    @property
    def gap_usd(self) -> Decimal:
        """Billed minus estimated: positive when the bill is higher than the token estimate."""
        return self.billed_usd - self.estimated_usd


def _bedrock_lines() -> Any:
    """The condition choosing Bedrock's lines (its own service and its Marketplace models)."""
    return (CostDaily.service == BEDROCK_SERVICE) | CostDaily.service.like(f"%{MARKETPLACE_SUFFIX}")


def bedrock_billed(
    session: Session, start: date, end: date, teams: list[str] | None = None
) -> dict[tuple[date, str], Decimal]:
    """The Bedrock bill per (UTC day, team) of the days in [start, end) and teams of ``teams``."""
    statement = (
        select(CostDaily.day, CostDaily.team, func.sum(CostDaily.amount_usd))
        .where(*_lines_where(start, end, teams, None, None), _bedrock_lines())
        .group_by(CostDaily.day, CostDaily.team)
    )
    return {(as_day(day), team): usd(amount) for day, team, amount in session.execute(statement)}


def last_bedrock_bill_day(session: Session, before: date) -> date | None:
    """The latest day before ``before`` the Bedrock bill has lines for (any team), or None."""
    statement = select(func.max(CostDaily.day)).where(CostDaily.day < before, _bedrock_lines())
    found = session.scalar(statement)
    return None if found is None else as_day(found)


def bedrock_reconciliation(
    session: Session, start: date, end: date, teams: list[str] | None = None
) -> list[BedrockReconciliation]:
    """Per UTC day in [start, end) and team of ``teams``: estimated Bedrock cost (token metrics) vs billed."""
    estimated: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    unpriced: dict[tuple[date, str], int] = defaultdict(int)
    first, after = (datetime.combine(day, time(0), tzinfo=UTC) for day in (start, end))
    # whole UTC days: read from the daily rollup
    for part in parts(session, BedrockUsageHourly, RollupDailyBedrockUsage, first, after):
        usage = part.table
        daily = (
            select(
                part.day,
                usage.team,
                func.sum(usage.estimated_cost_usd),
                func.sum(case((usage.priced.is_(False), part.rows), else_=0)),
            )
            .where(*part.where, *chosen((usage.team, teams)))
            .group_by(part.day, usage.team)
        )
        for day, team, cost, missing in session.execute(daily):
            key = (as_day(day), team)
            estimated[key] += usd(cost)
            unpriced[key] += int(missing or 0)
    billed = bedrock_billed(session, start, end, teams)
    return [
        BedrockReconciliation(
            day,
            team,
            estimated.get((day, team), Decimal(0)),
            billed.get((day, team), Decimal(0)),
            unpriced.get((day, team), 0),
        )
        for day, team in sorted(set(estimated) | set(billed))
    ]
