"""A month's billed GenAI lines for the FOCUS export and the chargeback statement: CUR 2.0 lines
when the month has them, else Cost Explorer's (cost_lines rows of that source, else cost_daily)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import CostDaily, CostLine
from core.queries.costs import cost_lines
from core.timeutil import EARLIEST_DAY

CUR, COST_EXPLORER = "cur", "cost_explorer"
SAVINGS_PLAN_NEGATION = "SavingsPlanNegation"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, today: date | None = None) -> str:
    """``YYYY-MM`` checked: a real month, from 2000 on, and (given ``today``) already begun."""
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValueError(f"expected a month like 2026-03, got {text!r}")
    first = date(int(found.group(1)), int(found.group(2)), 1)
    if first < EARLIEST_DAY:
        raise ValueError(f"month {text} is before {EARLIEST_DAY.year}: there is nothing to report")
    if today is not None and first > today:
        raise ValueError(f"month {text} has not begun yet")
    return f"{first:%Y-%m}"


def month_bounds(month: str) -> tuple[date, date]:
    """The first day of ``month`` (YYYY-MM) and the first day of the next."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def previous_month(today: date) -> str:
    """The last complete month before ``today``'s, as YYYY-MM."""
    first = today.replace(day=1)
    return f"{date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1):%Y-%m}"


@dataclass(frozen=True)
class BilledLine:
    """One stored billed line, whichever table it came from (Cost Explorer lacks some fields)."""

    day: date
    source: str
    account_id: str
    region: str
    service: str
    usage_type: str
    resource_id: str
    principal: str
    team: str
    line_type: str | None  # CUR line_item_line_item_type; None from Cost Explorer
    billing_period: str
    product_code: str | None
    model: str | None
    unblended: Decimal
    net: Decimal | None
    amortized: Decimal | None
    list_cost: Decimal | None
    quantity: Decimal | None
    pricing_unit: str | None

    @property
    def billed(self) -> Decimal:
        """What the invoice charges: the net unblended cost where known, else the unblended."""
        return self.unblended if self.net is None else self.net

    @property
    def effective(self) -> Decimal:
        """The amortized cost; a Savings Plan negation line is 0 (its covered line carries the
        effective cost), and without an amortized figure the billed one."""
        if self.line_type == SAVINGS_PLAN_NEGATION:
            return Decimal(0)
        return self.billed if self.amortized is None else self.amortized


def _cur_line(row: CostLine) -> BilledLine:
    return BilledLine(
        day=row.day,
        source=row.source,
        account_id=row.account_id,
        region=row.region,
        service=row.service,
        usage_type=row.usage_type,
        resource_id=row.resource_id,
        principal=row.principal,
        team=row.team,
        line_type=row.line_type if row.source == CUR else None,
        billing_period=row.billing_period,
        product_code=row.product_code,
        model=row.model,
        unblended=Decimal(row.unblended_usd),
        net=None if row.net_usd is None else Decimal(row.net_usd),
        amortized=None if row.amortized_usd is None else Decimal(row.amortized_usd),
        list_cost=None if row.list_usd is None else Decimal(row.list_usd),
        quantity=None if row.usage_quantity is None else Decimal(row.usage_quantity),
        pricing_unit=row.pricing_unit,
    )


def _daily_line(row: CostDaily, month: str) -> BilledLine:
    return BilledLine(
        day=row.day,
        source=COST_EXPLORER,
        account_id=row.account_id,
        region="",
        service=row.service,
        usage_type=row.usage_group,
        resource_id="",
        principal="",
        team=row.team,
        line_type=None,
        billing_period=month,
        product_code=None,
        model=None,
        unblended=Decimal(row.amount_usd),
        net=None,
        amortized=None if row.amortized_usd is None else Decimal(row.amortized_usd),
        list_cost=None,
        quantity=None,
        pricing_unit=None,
    )


def month_source(session: Session, month: str) -> str:
    """Which lines stand for ``month``: ``cur`` when CUR lines of that billing period are stored,
    else ``cost_explorer``."""
    found = set(
        session.scalars(select(CostLine.source).where(CostLine.billing_period == month).distinct())
    )
    return CUR if CUR in found else COST_EXPLORER


def month_lines(session: Session, month: str) -> tuple[str, list[BilledLine]]:
    """The source and the lines of billing period ``month``, in a stable order."""
    source = month_source(session, month)
    stored = session.scalars(
        select(CostLine)
        .where(CostLine.billing_period == month, CostLine.source == source)
        .order_by(
            CostLine.day,
            CostLine.account_id,
            CostLine.region,
            CostLine.service,
            CostLine.usage_type,
            CostLine.resource_id,
            CostLine.principal,
            CostLine.team,
            CostLine.line_type,
        )
    ).all()
    if stored or source == CUR:
        return source, [_cur_line(row) for row in stored]
    first, following = month_bounds(month)
    return COST_EXPLORER, [_daily_line(row, month) for row in cost_lines(session, first, following)]
