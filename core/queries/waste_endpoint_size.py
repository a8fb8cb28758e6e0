"""Under-used SageMaker endpoints as waste: more instances than their busiest hour needs.

The rule, over the last ``window`` (the config's ``waste.window``, default 7 days) before ``at``:
a live real-time endpoint in service, with at least two instances, created before the window
began and not idle (idle ones are the ``sagemaker_endpoint`` kind), whose busiest stored hour
(variant or inference-component invocations, as ``endpoint_hourly`` holds them) would fit on
``needed = max(1, ceil(peak / invocations_per_instance_hour))`` instances, fewer than it runs.

The row's money is the excess instances': ``burnt_usd`` sums, over the window's hours, each
hour's cost times the share of its instances beyond ``needed``; ``monthly_usd`` is 730 hours of
the excess instances at the newest priced hour's per-instance rate. ``idle_since`` is the
window's start and ``idle_hours`` its length: the span judged under-used.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from core.models import Endpoint, EndpointHourly
from core.queries.endpoints import EndpointSummary
from core.queries.waste_endpoints import endpoint_arn, idle_threshold_hours, live_endpoints
from core.queries.waste_row import WasteRow, WasteScope, hours_between, per_month

KIND = "sagemaker_endpoint_underused"
_MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class _Hour:
    """One stored endpoint-hour of the window: instances, calls, cost."""

    hour: datetime
    instances: int
    calls: int
    cost: Decimal | None
    service_hours: Decimal


def _window_hours(
    session: Session, ids: list[int], start: datetime, end: datetime
) -> dict[int, list[_Hour]]:
    """Per endpoint: its stored hours in [start, end), oldest first."""
    hourly = EndpointHourly
    called = case(
        (hourly.invocations >= hourly.component_invocations, hourly.invocations),
        else_=hourly.component_invocations,
    )
    statement = (
        select(
            hourly.endpoint_id,
            hourly.hour,
            hourly.instance_count,
            called,
            hourly.estimated_cost_usd,
            hourly.service_hours,
        )
        .where(hourly.endpoint_id.in_(ids), hourly.hour >= start, hourly.hour < end)
        .order_by(hourly.endpoint_id, hourly.hour)
    )
    found: dict[int, list[_Hour]] = defaultdict(list)
    for endpoint_id, hour, count, calls, cost, service in session.execute(statement):
        found[endpoint_id].append(
            _Hour(
                hour,
                int(count or 0),
                int(calls or 0),
                None if cost is None else Decimal(str(cost)),
                Decimal(str(service or 0)),
            )
        )
    return found


def instances_needed(peak: int, per_instance: int) -> int:
    """The instances that carry ``peak`` invocations in an hour at ``per_instance`` each (at least 1)."""
    return max(1, math.ceil(peak / per_instance))


def excess_cost(hours: list[_Hour], needed: int) -> Decimal | None:
    """What the instances beyond ``needed`` cost over these hours (None if an hour is unpriced)."""
    total = Decimal(0)
    for hour in hours:
        if hour.instances <= needed or hour.service_hours <= 0:
            continue
        if hour.cost is None:
            return None
        total += hour.cost * (hour.instances - needed) / hour.instances
    return total.quantize(_MICRO)


def instance_rate(hours: list[_Hour]) -> Decimal | None:
    """One instance-hour's cost at the newest priced in-service hour (None when none is priced)."""
    for hour in reversed(hours):
        if hour.cost is not None and hour.service_hours > 0 and hour.instances > 0:
            return (hour.cost / hour.service_hours / hour.instances).quantize(_MICRO)
    return None


def _candidates(session: Session, scope: WasteScope, start: datetime) -> list[EndpointSummary]:
    """Live real-time endpoints in service with 2+ instances, older than the window, not idle."""
    idle_hours = idle_threshold_hours(scope)
    return [
        summary
        for summary in live_endpoints(session, scope)
        if summary.status == "InService"
        and summary.endpoint_type == "real-time"
        and summary.instance_count >= 2
        and summary.created_at <= start
        and not summary.idle_for(idle_hours)
    ]


def _row(
    summary: EndpointSummary,
    arn: str | None,
    hours: list[_Hour],
    scope: WasteScope,
    start: datetime,
) -> WasteRow | None:
    """The endpoint's waste row when its busiest hour fits fewer instances than it runs."""
    per_instance = scope.under_use.invocations_per_instance_hour
    peak = max((hour.calls for hour in hours), default=0)
    needed = instances_needed(peak, per_instance)
    if not hours or needed >= summary.instance_count:
        return None
    rate = instance_rate(hours)
    excess = summary.instance_count - needed
    return WasteRow(
        kind=KIND,
        resource=arn or endpoint_arn(summary.account_id, summary.region, summary.endpoint_name),
        name=summary.endpoint_name,
        account_id=summary.account_id,
        region=summary.region,
        team=summary.team,
        idle_since=start,
        idle_hours=hours_between(start, scope.at),
        burnt_usd=excess_cost(hours, needed),
        monthly_usd=None if rate is None else per_month(rate * excess),
        action=(
            f"scale to {needed} instance{'s' if needed > 1 else ''} "
            f"(from {summary.instance_count}): its busiest hour had {peak} invocations, "
            f"{per_instance} per instance-hour assumed"
        ),
    )


def underused_endpoint_waste(session: Session, scope: WasteScope) -> list[WasteRow]:
    """Every live real-time endpoint whose busiest hour in the window fits fewer instances."""
    start = scope.at - scope.under_use.window
    candidates = _candidates(session, scope, start)
    if not candidates:
        return []
    ids = [summary.endpoint_id for summary in candidates]
    hours = _window_hours(session, ids, start, scope.at)
    found = session.execute(select(Endpoint.id, Endpoint.endpoint_arn).where(Endpoint.id.in_(ids)))
    arns = {endpoint_id: arn for endpoint_id, arn in found}
    rows = [
        _row(
            summary, arns.get(summary.endpoint_id), hours.get(summary.endpoint_id, []), scope, start
        )
        for summary in candidates
    ]
    return [row for row in rows if row is not None]
