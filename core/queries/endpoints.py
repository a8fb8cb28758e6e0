"""SageMaker endpoints: each endpoint life's hours, calls, cost and idle streak over a window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from core.models import Endpoint, EndpointHourly
from core.models_rollups import RollupDailyEndpoint
from core.queries.common import between, chosen
from core.queries.daily import parts
from core.usage import EndpointUsage

# Endpoint types that bill per use or scale to nothing: never idle waste.
IDLE_EXEMPT_TYPES = frozenset({"serverless"})
_HOURS = Decimal("0.000001")


@dataclass(frozen=True)
class EndpointSummary:
    """One endpoint life over a period: uptime, calls, cost, and how long it has billed unused."""

    endpoint_id: int
    account_id: str
    region: str
    endpoint_name: str
    team: str
    endpoint_type: str
    status: str
    instance_type: str | None
    instance_count: int
    created_at: datetime
    deleted_at: datetime | None
    multi_model: bool
    scales_to_zero: bool
    hours_in_service: Decimal
    invocations: int
    last_invocation_at: datetime | None
    # None where idleness is no waste (serverless, async scaling to zero)
    idle_hours: Decimal | None
    estimated_cost_usd: Decimal | None
    idle_cost_usd: Decimal | None
    priced: bool
    # what the bill (CUR 2.0) says the endpoint cost over the same days: see core.queries.billed
    billed_usd: Decimal | None = None
    billed_source: str | None = None

    @property
    def idle_exempt(self) -> bool:
        """True when the endpoint bills per use or scales to zero, so idleness costs nothing."""
        return self.idle_hours is None

    def idle_for(self, min_idle_hours: Decimal) -> bool:
        """Whether this live endpoint has billed at least ``min_idle_hours`` in service without a call."""
        return (
            self.deleted_at is None
            and self.idle_hours is not None
            and self.idle_hours >= min_idle_hours
        )


def called_invocations(hourly: Any) -> Any:
    """An hour's invocations: variant totals, or the inference components' where larger (never both)."""
    return case(
        (hourly.invocations >= hourly.component_invocations, hourly.invocations),
        else_=hourly.component_invocations,
    )


def _quantized(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_HOURS)


def endpoint_summaries(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    include_deleted: bool = True,
) -> list[EndpointSummary]:
    """Every endpoint life overlapping [start, end), with hours, calls and cost summed over it.

    ``last_invocation_at`` is the start of the last hour with invocations before ``end`` (hour
    resolution); ``idle_hours`` and ``idle_cost_usd`` cover the in-service hours after it (or
    since creation), up to ``end`` and not cut at ``start``: the idle streak as of ``end``.
    The last call is found per endpoint by a backward walk of the (endpoint, hour) primary key,
    and the idle sums read only the hours after it, so the cost follows the window and the idle
    streaks, not the history stored.
    """
    lives = list(session.scalars(_lives(start, end, teams, accounts, regions, include_deleted)))
    if not lives:
        return []
    ids = [life.id for life in lives]
    last = _last_calls(session, ids, end)
    totals = _window_totals(session, ids, start, end)
    idle = _idle_streaks(session, ids, last, end)
    return [_endpoint_summary(endpoint, totals, idle, last) for endpoint in lives]


def _lives(
    start: datetime | None,
    end: datetime | None,
    teams: list[str] | None,
    accounts: list[str] | None,
    regions: list[str] | None,
    include_deleted: bool,
) -> Any:
    """The endpoint lives overlapping [start, end) of the chosen teams, accounts and regions."""
    conditions = chosen(
        (Endpoint.team, teams), (Endpoint.account_id, accounts), (Endpoint.region, regions)
    )
    if end is not None:
        conditions.append(Endpoint.created_at < end)
    if start is not None:
        conditions.append(or_(Endpoint.deleted_at.is_(None), Endpoint.deleted_at > start))
    if not include_deleted:
        conditions.append(Endpoint.deleted_at.is_(None))
    return (
        select(Endpoint)
        .where(*conditions)
        .order_by(Endpoint.account_id, Endpoint.region, Endpoint.endpoint_name, Endpoint.created_at)
    )


def _unpriced() -> Any:
    return func.sum(case((EndpointHourly.priced.is_(False), 1), else_=0))


def _window_totals(
    session: Session, ids: list[int], start: datetime | None, end: datetime | None
) -> dict[int, tuple[Any, Any, Any, int]]:
    """Per endpoint: hours in service, calls, cost (None: no priced hour) and unpriced hours in
    [start, end); whole days are read from the daily rollup."""
    totals: dict[int, tuple[Any, Any, Any, int]] = {}
    for part in parts(session, EndpointHourly, RollupDailyEndpoint, start, end):
        table = part.table
        calls = table.invocations if part.rollup else called_invocations(table)
        statement = (
            select(
                table.endpoint_id,
                func.sum(table.service_hours),
                func.sum(calls),
                func.sum(table.estimated_cost_usd),
                func.sum(case((table.priced.is_(False), part.rows), else_=0)),
            )
            .where(*part.where, table.endpoint_id.in_(ids))
            .group_by(table.endpoint_id)
        )
        for endpoint_id, hours, called, cost, missing in session.execute(statement):
            found = (_quantized(hours), int(called or 0), _money(cost), int(missing or 0))
            before = totals.get(endpoint_id)
            totals[endpoint_id] = found if before is None else _added(before, found)
    return totals


def _money(value: Any) -> Decimal | None:
    return None if value is None else _quantized(value)


def _added(
    one: tuple[Any, Any, Any, int], other: tuple[Any, Any, Any, int]
) -> tuple[Any, Any, Any, int]:
    """Two parts' totals of one endpoint summed (a cost stays None only if both are)."""
    costs = [c for c in (one[2], other[2]) if c is not None]
    return (
        one[0] + other[0],
        one[1] + other[1],
        sum(costs, Decimal(0)) if costs else None,
        one[3] + other[3],
    )


def _last_calls(session: Session, ids: list[int], end: datetime | None) -> dict[int, datetime]:
    """Per endpoint: the start of its last hour with a call before ``end``."""
    inner = EndpointHourly.__table__.alias("called_hour")
    last_call = (
        select(func.max(inner.c.hour))
        .where(inner.c.endpoint_id == Endpoint.id, *between(inner.c.hour, None, end))
        .where(called_invocations(inner.c) > 0)
        .scalar_subquery()
    )
    return {
        endpoint_id: hour
        for endpoint_id, hour in session.execute(
            select(Endpoint.id, last_call).where(Endpoint.id.in_(ids))
        )
        if hour is not None
    }


def _idle_streaks(
    session: Session, ids: list[int], last: Mapping[int, datetime], end: datetime | None
) -> dict[int, tuple[Any, Any, int]]:
    """Per endpoint: hours in service, cost and unpriced hours after its last call, before ``end``."""
    hourly = EndpointHourly
    streaks = [
        (hourly.endpoint_id == endpoint_id) & (hourly.hour > last[endpoint_id])
        if endpoint_id in last
        else hourly.endpoint_id == endpoint_id
        for endpoint_id in ids
    ]
    statement = (
        select(
            hourly.endpoint_id,
            func.sum(hourly.service_hours),
            func.sum(hourly.estimated_cost_usd),
            _unpriced(),
        )
        .where(or_(*streaks), *between(hourly.hour, None, end))
        .group_by(hourly.endpoint_id)
    )
    return {
        endpoint_id: (hours, cost, int(missing or 0))
        for endpoint_id, hours, cost, missing in session.execute(statement)
    }


def _idle_exempt(endpoint: Endpoint) -> bool:
    """Serverless endpoints and async ones scaling to zero bill per use: idleness costs nothing."""
    return endpoint.endpoint_type in IDLE_EXEMPT_TYPES or (
        endpoint.endpoint_type == "async" and endpoint.scales_to_zero
    )


def _instances(endpoint: Endpoint) -> tuple[str | None, int]:
    """The instance types (comma-separated) and the instance count over the endpoint's variants."""
    variants = [v for v in endpoint.variants if v.get("instance_type")]
    types = ",".join(sorted({v["instance_type"] for v in variants})) or None
    return types, sum(int(v.get("instance_count") or 0) for v in variants)


def _endpoint_summary(
    endpoint: Endpoint,
    totals: Mapping[int, tuple[Any, Any, Any, int]],
    idle: Mapping[int, tuple[Any, Any, int]],
    last: Mapping[int, datetime],
) -> EndpointSummary:
    """One endpoint life's summary from its window totals, its idle streak and its last call."""
    hours, calls, cost, missing = totals.get(endpoint.id, (0, 0, None, 0))
    idle_hours, idle_cost, idle_missing = idle.get(endpoint.id, (0, None, 0))
    exempt = _idle_exempt(endpoint)
    instance_type, instance_count = _instances(endpoint)
    return EndpointSummary(
        endpoint_id=endpoint.id,
        account_id=endpoint.account_id,
        region=endpoint.region,
        endpoint_name=endpoint.endpoint_name,
        team=endpoint.team,
        endpoint_type=endpoint.endpoint_type,
        status="Deleted" if endpoint.deleted_at is not None else endpoint.status,
        instance_type=instance_type,
        instance_count=instance_count,
        created_at=endpoint.created_at,
        deleted_at=endpoint.deleted_at,
        multi_model=endpoint.multi_model,
        scales_to_zero=endpoint.scales_to_zero,
        hours_in_service=_quantized(hours),
        invocations=int(calls or 0),
        last_invocation_at=last.get(endpoint.id),
        idle_hours=None if exempt else _quantized(idle_hours),
        estimated_cost_usd=None if cost is None and missing else _quantized(cost),
        idle_cost_usd=None
        if exempt or (idle_cost is None and idle_missing)
        else _quantized(idle_cost),
        priced=missing == 0,
    )


def idle_endpoints(
    session: Session, min_idle_hours: Decimal, at: datetime | None = None
) -> list[EndpointSummary]:
    """Live endpoints that have billed at least ``min_idle_hours`` in service without a call, as of ``at``."""
    return [
        summary
        for summary in endpoint_summaries(session, end=at, include_deleted=False)
        if summary.idle_for(min_idle_hours)
    ]


def endpoint_usage(
    session: Session,
    start: datetime,
    end: datetime,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[EndpointUsage]:
    """Per live endpoint over [start, end): hours in service, calls, the busiest hour, hours without calls, cost."""
    hourly = EndpointHourly
    peaks = {
        endpoint_id: (int(peak or 0), Decimal(str(quiet or 0)))
        for endpoint_id, peak, quiet in session.execute(
            select(
                hourly.endpoint_id,
                # an endpoint called through its inference components is called
                func.max(called_invocations(hourly)),
                func.sum(case((called_invocations(hourly) == 0, hourly.service_hours), else_=0)),
            )
            .where(hourly.hour >= start, hourly.hour < end)
            .group_by(hourly.endpoint_id)
        )
    }
    summaries = endpoint_summaries(session, start, end, teams, accounts, regions, False)
    result = []
    for summary in summaries:
        peak, quiet = peaks.get(summary.endpoint_id, (0, Decimal(0)))
        result.append(
            EndpointUsage(
                endpoint_name=summary.endpoint_name,
                account_id=summary.account_id,
                region=summary.region,
                team=summary.team,
                endpoint_type=summary.endpoint_type,
                instance_type=summary.instance_type,
                instance_count=summary.instance_count,
                hours_in_service=summary.hours_in_service,
                invocations=summary.invocations,
                peak_hour_invocations=peak,
                hours_without_calls=quiet,
                cost_usd=summary.estimated_cost_usd,
            )
        )
    return result


@dataclass(frozen=True)
class EndpointHour:
    """One stored endpoint-hour: the endpoint it belongs to, how much of it was in service, its calls."""

    endpoint_id: int
    endpoint_name: str
    account_id: str
    region: str
    hour: datetime
    service_hours: Decimal
    invocations: int
    bills_per_use: bool  # serverless, or async scaling to zero: an hour without calls costs nothing


def endpoint_hours(
    session: Session,
    start: datetime,
    end: datetime,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[EndpointHour]:
    """Every stored hour in [start, end) of the chosen endpoints, by endpoint then hour."""
    hourly = EndpointHourly
    statement = (
        select(
            Endpoint.id,
            Endpoint.endpoint_name,
            Endpoint.account_id,
            Endpoint.region,
            hourly.hour,
            hourly.service_hours,
            called_invocations(hourly),
            Endpoint.endpoint_type,
            Endpoint.scales_to_zero,
        )
        .join(Endpoint, Endpoint.id == hourly.endpoint_id)
        .where(
            *between(hourly.hour, start, end),
            *chosen(
                (Endpoint.team, teams), (Endpoint.account_id, accounts), (Endpoint.region, regions)
            ),
        )
        .order_by(Endpoint.endpoint_name, Endpoint.id, hourly.hour)
    )
    return [
        EndpointHour(
            endpoint_id,
            name,
            account,
            region,
            hour,
            _quantized(service),
            int(calls or 0),
            kind in IDLE_EXEMPT_TYPES or (kind == "async" and bool(to_zero)),
        )
        for endpoint_id, name, account, region, hour, service, calls, kind, to_zero in session.execute(
            statement
        )
    ]
