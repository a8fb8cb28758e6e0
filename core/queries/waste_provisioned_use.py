"""Under-used Provisioned Throughput as waste: called in few of its hours, cheaper on demand.

The rule, over the last ``window`` (the config's ``waste.window``, default 7 days) before ``at``:
a live PT in service, created before the window began and not idle (idle ones are the
``provisioned_throughput`` kind), called in fewer than ``provisioned_busy_share`` (default half)
of its billed hours, whose tokens of the window priced on demand (its base model's token prices
in its region, core.pricing) cost less than the PT billed. Tokens without an on-demand price
leave the saving unknown: the row stays, its money None (never $0).

``burnt_usd`` is what the window's hours billed beyond the on-demand price of their tokens;
``monthly_usd`` is that difference per billed hour over 730 hours. ``idle_since`` is the window's
start and ``idle_hours`` its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.models import ProvisionedThroughputHourly
from core.pricing import PriceCatalog, TokenUsage, estimate_cost
from core.queries.provisioned import ProvisionedSummary, provisioned_summaries
from core.queries.waste_provisioned import DEFAULT_IDLE_FOR as IDLE_FOR
from core.queries.waste_provisioned import KIND as IDLE_KIND
from core.queries.waste_provisioned import idle_provisioned
from core.queries.waste_row import WasteRow, WasteScope, hours_between, per_month

KIND = "provisioned_throughput_underused"
_MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class WindowUse:
    """One PT's window: billed hours, hours called, tokens, and what it billed (None: unpriced)."""

    billed_hours: Decimal
    hours: int
    busy_hours: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None


def window_use(
    session: Session, ids: list[int], start: datetime, end: datetime
) -> dict[int, WindowUse]:
    """Per PT: its use over [start, end) from provisioned_throughput_hourly."""
    row = ProvisionedThroughputHourly
    statement = (
        select(
            row.provisioned_id,
            func.sum(row.billed_hours),
            func.count(),
            func.sum(case((row.invocations > 0, 1), else_=0)),
            func.sum(row.input_tokens),
            func.sum(row.output_tokens),
            func.sum(row.estimated_cost_usd),
            func.count(row.estimated_cost_usd),
        )
        .where(row.provisioned_id.in_(ids), row.hour >= start, row.hour < end)
        .group_by(row.provisioned_id)
    )
    return {
        pt_id: WindowUse(
            Decimal(str(billed or 0)),
            int(hours),
            int(busy or 0),
            int(tokens_in or 0),
            int(tokens_out or 0),
            Decimal(str(cost)).quantize(_MICRO) if priced == hours and cost is not None else None,
        )
        for pt_id, billed, hours, busy, tokens_in, tokens_out, cost, priced in session.execute(
            statement
        )
    }


def on_demand_cost(pt: ProvisionedSummary, use: WindowUse, catalog: PriceCatalog) -> Decimal | None:
    """The window's tokens at the PT's base model's on-demand prices (None when unpriced)."""
    usage = TokenUsage(input_tokens=use.input_tokens, output_tokens=use.output_tokens)
    return estimate_cost(catalog.price(pt.base_model_id, pt.region), usage)


def _action(
    pt: ProvisionedSummary, use: WindowUse, monthly_on_demand: Decimal | None, at: datetime
) -> str:
    """Go on demand: now for a PT without commitment, at the term's end for a committed one."""
    tokens = (
        "its tokens' on-demand price is unknown"
        if monthly_on_demand is None
        else f"its tokens would cost ${monthly_on_demand:.2f} a month on demand"
    )
    busy = f"called in {use.busy_hours} of {use.hours} hours; {tokens}"
    expires = pt.commitment_expires_at
    if pt.commitment is not None and expires is not None and expires > at:
        return f"{busy}: committed until {expires.date().isoformat()}, then call {pt.base_model_id} on demand"
    return f"{busy}: delete it and call {pt.base_model_id} on demand"


def _row(
    pt: ProvisionedSummary,
    use: WindowUse,
    scope: WasteScope,
    start: datetime,
    catalog: PriceCatalog,
) -> WasteRow | None:
    """The PT's waste row when it is called in too few hours and on demand would cost less."""
    if use.hours == 0 or use.billed_hours <= 0:
        return None
    if Decimal(use.busy_hours) >= scope.under_use.provisioned_busy_share * use.hours:
        return None
    tokens = on_demand_cost(pt, use, catalog)
    if tokens is not None and use.cost_usd is not None and tokens >= use.cost_usd:
        return None  # busy in few hours, but those hours use it well: on demand costs more
    excess = None if tokens is None or use.cost_usd is None else use.cost_usd - tokens
    per_hour = None if excess is None else excess / use.billed_hours
    monthly_tokens = None if tokens is None else per_month(tokens / use.billed_hours)
    return WasteRow(
        kind=KIND,
        resource=pt.arn,
        name=pt.name,
        account_id=pt.account_id,
        region=pt.region,
        team=pt.team,
        idle_since=start,
        idle_hours=hours_between(start, scope.at),
        burnt_usd=excess,
        monthly_usd=per_month(per_hour),
        action=_action(pt, use, monthly_tokens, scope.at),
    )


def underused_provisioned_waste(session: Session, scope: WasteScope) -> list[WasteRow]:
    """Every live PT in the scope called in too few hours of the window to beat on-demand."""
    start = scope.at - scope.under_use.window
    idle_for = scope.threshold(IDLE_KIND, IDLE_FOR)
    pts = [
        pt
        for pt in provisioned_summaries(
            session,
            scope.at,
            include_deleted=False,
            teams=scope.teams,
            accounts=scope.accounts,
            regions=scope.regions,
        )
        if pt.status == "InService"
        and pt.created_at <= start
        and not idle_provisioned(pt, scope.at, idle_for)
    ]
    if not pts:
        return []
    uses = window_use(session, [pt.provisioned_id for pt in pts], start, scope.at)
    catalog = PriceCatalog.load(scope.under_use.price_overrides)
    rows = [
        _row(pt, uses[pt.provisioned_id], scope, start, catalog)
        for pt in pts
        if pt.provisioned_id in uses
    ]
    return [row for row in rows if row is not None]
