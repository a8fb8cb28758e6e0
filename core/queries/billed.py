"""Billed cost per resource (endpoint ARN, provisioned model, inference profile, collection) from
the line-item billing source (CUR 2.0), beside the monitor's own estimates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import CostLine
from core.queries.endpoints import EndpointSummary

CUR_SOURCE = "cur"


@dataclass(frozen=True)
class BilledCost:
    """What the bill says one resource cost over some days, and which billing source says it."""

    resource_id: str
    unblended_usd: Decimal
    amortized_usd: Decimal
    source: str


def _day(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _last_day(value: date | datetime | None) -> date | None:
    """The day before which lines count: an end at a day's midnight excludes that day."""
    if isinstance(value, datetime):
        midnight = value.hour == value.minute == value.second == value.microsecond == 0
        return value.date() if midnight else value.date() + timedelta(days=1)
    return value


def billed_by_resource_day(
    session: Session,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    resource_ids: Sequence[str] | None = None,
    source: str = CUR_SOURCE,
) -> dict[tuple[str, date], tuple[Decimal, Decimal]]:
    """Per (lower-cased resource id, day): billed (unblended) and amortized cost, over [start, end)."""
    lines = CostLine
    resource = func.lower(lines.resource_id)
    conditions = [lines.source == source, lines.resource_id != ""]
    first, last = _day(start), _last_day(end)
    if first is not None:
        conditions.append(lines.day >= first)
    if last is not None:
        conditions.append(lines.day < last)
    if resource_ids is not None:
        conditions.append(resource.in_(sorted({r.lower() for r in resource_ids})))
    statement = (
        select(
            resource,
            lines.day,
            func.sum(lines.unblended_usd),
            func.sum(func.coalesce(lines.amortized_usd, lines.unblended_usd)),
        )
        .where(*conditions)
        .group_by(resource, lines.day)
    )
    return {
        (str(resource_id), day): (Decimal(str(billed)), Decimal(str(amortized)))
        for resource_id, day, billed, amortized in session.execute(statement)
    }


def billed_by_resource(
    session: Session,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    resource_ids: Sequence[str] | None = None,
    source: str = CUR_SOURCE,
) -> dict[str, BilledCost]:
    """Per lower-cased resource id: billed and amortized cost over [start, end) (whole days)."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for (resource_id, _), (billed, amortized) in billed_by_resource_day(
        session, start, end, resource_ids, source
    ).items():
        totals[resource_id][0] += billed
        totals[resource_id][1] += amortized
    return {
        resource_id: BilledCost(resource_id, billed, amortized, source)
        for resource_id, (billed, amortized) in sorted(totals.items())
    }


def endpoint_arn(account_id: str, region: str, endpoint_name: str) -> str:
    """A SageMaker endpoint's ARN as CUR's resource id carries it (names are lower-cased there)."""
    return f"arn:aws:sagemaker:{region}:{account_id}:endpoint/{endpoint_name.lower()}"


def _alive(summary: EndpointSummary, day: date) -> bool:
    deleted = summary.deleted_at
    return summary.created_at.date() <= day and (deleted is None or day <= deleted.date())


def with_billed(
    session: Session,
    summaries: Sequence[EndpointSummary],
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> list[EndpointSummary]:
    """The endpoint summaries with their billed cost from CUR over the same days (None: no CUR line).

    A re-created endpoint keeps its ARN: each billed day goes to the life alive that day (the
    newest one when two overlap).
    """
    arns = {s.endpoint_id: endpoint_arn(s.account_id, s.region, s.endpoint_name) for s in summaries}
    days = billed_by_resource_day(session, start, end, sorted(set(arns.values())))
    if not days:
        return list(summaries)
    billed: dict[int, Decimal] = {}
    newest_first = sorted(summaries, key=lambda s: s.created_at, reverse=True)
    for (resource_id, day), (amount, _amortized) in days.items():
        owner = next(
            (s for s in newest_first if arns[s.endpoint_id] == resource_id and _alive(s, day)),
            next((s for s in newest_first if arns[s.endpoint_id] == resource_id), None),
        )
        if owner is not None:
            billed[owner.endpoint_id] = billed.get(owner.endpoint_id, Decimal(0)) + amount
    return [
        replace(s, billed_usd=billed[s.endpoint_id], billed_source=CUR_SOURCE)
        if s.endpoint_id in billed
        else s
        for s in summaries
    ]
