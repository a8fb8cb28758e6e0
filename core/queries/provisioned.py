"""Bedrock Provisioned Throughput: each PT with its idle streak and cost, and its hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import ProvisionedThroughput, ProvisionedThroughputHourly
from core.pricing.provisioned import ProvisionedPrices, model_unit_cost
from core.queries.common import chosen, usd
from core.timeutil import as_utc

HOUR = timedelta(hours=1)
HOURS_PER_MONTH = Decimal(730)


@dataclass(frozen=True)
class ProvisionedSummary:
    """One PT as of ``now``: what it is, what it costs, and how long nobody has called it."""

    provisioned_id: int
    account_id: str
    region: str
    arn: str
    name: str
    base_model_id: str
    model_units: int
    commitment: str | None  # the commitment in force now (None once its term has ended)
    commitment_expires_at: datetime | None
    status: str
    created_at: datetime
    deleted_at: datetime | None
    team: str
    invocations: int  # over the stored history
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None  # over the stored history; None when an hour is unpriced
    last_invocation_at: datetime | None  # the start of the last hour with invocations
    idle_since: datetime  # the end of that hour, else the creation
    idle_cost_usd: Decimal | None  # what the hours since idle_since cost
    hourly_usd: Decimal | None  # what one more hour costs at today's price
    tags: dict[str, str]
    # what the bill says (CUR 2.0 lines of the PT's ARN), and its source; None: no billed line
    billed_usd: Decimal | None = None
    billed_source: str | None = None

    @property
    def subject(self) -> str:
        """The alert subject: account/region/name."""
        return f"{self.account_id}/{self.region}/{self.name}"

    @property
    def monthly_usd(self) -> Decimal | None:
        """What a month costs if left running (730 hours at today's price)."""
        return None if self.hourly_usd is None else self.hourly_usd * HOURS_PER_MONTH


def _sums(
    session: Session, ids: list[int], since: dict[int, datetime] | None = None
) -> dict[int, tuple[int, int, int, Decimal | None]]:
    """Per PT: invocations, tokens and cost (None if any hour is unpriced), from ``since`` on."""
    row = ProvisionedThroughputHourly
    statement = select(
        row.provisioned_id,
        row.hour,
        row.invocations,
        row.input_tokens,
        row.output_tokens,
        row.estimated_cost_usd,
    ).where(row.provisioned_id.in_(ids))
    totals: dict[int, tuple[int, int, int, Decimal | None]] = {}
    for pt_id, hour, calls, tokens_in, tokens_out, cost in session.execute(statement):
        if since is not None and as_utc(hour) + HOUR <= since[pt_id]:
            continue
        calls_0, in_0, out_0, cost_0 = totals.get(pt_id, (0, 0, 0, Decimal(0)))
        total = None if cost_0 is None or cost is None else cost_0 + usd(cost)
        totals[pt_id] = (calls_0 + calls, in_0 + tokens_in, out_0 + tokens_out, total)
    return totals


def _last_calls(session: Session, ids: list[int]) -> dict[int, datetime]:
    row = ProvisionedThroughputHourly
    statement = (
        select(row.provisioned_id, func.max(row.hour))
        .where(row.provisioned_id.in_(ids), row.invocations > 0)
        .group_by(row.provisioned_id)
    )
    return {pt_id: as_utc(hour) for pt_id, hour in session.execute(statement)}


def provisioned_summaries(
    session: Session,
    now: datetime,
    *,
    include_deleted: bool = True,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[ProvisionedSummary]:
    """Every stored PT with its totals and its idle streak as of ``now``."""
    statement = select(ProvisionedThroughput).where(
        *chosen(
            (ProvisionedThroughput.team, teams),
            (ProvisionedThroughput.account_id, accounts),
            (ProvisionedThroughput.region, regions),
        )
    )
    if not include_deleted:
        statement = statement.where(ProvisionedThroughput.deleted_at.is_(None))
    pts = list(
        session.scalars(
            statement.order_by(
                ProvisionedThroughput.account_id,
                ProvisionedThroughput.region,
                ProvisionedThroughput.name,
            )
        )
    )
    if not pts:
        return []
    ids = [pt.id for pt in pts]
    last = _last_calls(session, ids)
    idle_since = {pt.id: last[pt.id] + HOUR if pt.id in last else pt.created_at for pt in pts}
    totals = _sums(session, ids)
    idle = _sums(session, ids, idle_since)
    prices = ProvisionedPrices.load(session)
    result = []
    for pt in pts:
        expired = pt.commitment_expires_at is not None and pt.commitment_expires_at <= now
        commitment = None if expired else pt.commitment
        price = prices.price(pt.base_model_id, pt.region, commitment, now)
        calls, tokens_in, tokens_out, cost = totals.get(pt.id, (0, 0, 0, Decimal(0)))
        result.append(
            ProvisionedSummary(
                provisioned_id=pt.id,
                account_id=pt.account_id,
                region=pt.region,
                arn=pt.arn,
                name=pt.name,
                base_model_id=pt.base_model_id,
                model_units=pt.model_units,
                commitment=commitment,
                commitment_expires_at=pt.commitment_expires_at,
                status=pt.status,
                created_at=pt.created_at,
                deleted_at=pt.deleted_at,
                team=pt.team,
                invocations=calls,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost_usd=cost,
                last_invocation_at=last.get(pt.id),
                idle_since=idle_since[pt.id],
                idle_cost_usd=idle.get(pt.id, (0, 0, 0, Decimal(0)))[3],
                hourly_usd=model_unit_cost(price, pt.model_units, Decimal(1)),
                tags=dict(pt.tags or {}),
            )
        )
    return result
