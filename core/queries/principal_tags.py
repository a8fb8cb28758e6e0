"""Billed Bedrock spend per principal-tag team: Cost Explorer's ``iamPrincipal/<key>`` cost
allocation tags (cost_principal_tag_daily), 24-48 h behind the calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from core.models_cost_principals import CostPrincipalTagDaily
from core.queries.common import chosen, usd


@dataclass(frozen=True)
class PrincipalTagSpend:
    """One principal-tag team's billed Bedrock spend in a window."""

    team: str  # the tag's value; ``unattributed``: callers without the tag
    amount_usd: Decimal
    estimated: bool  # some of its days may still be restated


def billed_by_principal_tag(
    session: Session,
    start: date,
    end: date,
    tag_key: str = "team",
    accounts: list[str] | None = None,
) -> list[PrincipalTagSpend]:
    """Billed Bedrock spend per value of the principal tag ``tag_key`` over the days [start, end),
    most spent first."""
    table = CostPrincipalTagDaily
    statement = (
        select(table.team, func.sum(table.amount_usd), func.max(table.estimated.cast(Integer)))
        .where(
            table.tag_key == tag_key,
            table.day >= start,
            table.day < end,
            *chosen((table.account_id, accounts)),
        )
        .group_by(table.team)
    )
    rows = [
        PrincipalTagSpend(team, usd(amount), bool(estimated))
        for team, amount, estimated in session.execute(statement)
    ]
    return sorted(rows, key=lambda row: (-row.amount_usd, row.team))
