"""Read-side queries shared by the collectors' runner, alerts, exports and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from core.budgets import ALL_SERVICES, period_of
from core.models import (
    Alert,
    BedrockUsageHourly,
    Budget,
    CollectorRun,
    CostDaily,
    Endpoint,
    EndpointHourly,
)
from core.projection import HISTORY_DAYS, Projection, month_bounds, project_month
from core.usage import EndpointUsage, ModelUsage


def chosen(*filters: tuple[Any, Sequence[str] | None]) -> list[Any]:
    """``column IN values`` for every (column, values) whose values are given; none given keeps all."""
    return [column.in_(values) for column, values in filters if values]


def watermark(session: Session, source: str, account_id: str, region: str) -> datetime | None:
    """The end of the newest window a source collected successfully for a target."""
    statement = select(func.max(CollectorRun.window_end)).where(
        CollectorRun.source == source,
        CollectorRun.account_id == account_id,
        CollectorRun.region == region,
        CollectorRun.status == "succeeded",
    )
    return session.scalar(statement)


@dataclass(frozen=True)
class TargetStatus:
    """How a collector target is doing: its last success, last attempt and the newest error since."""

    source: str
    account_id: str
    region: str
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None


def collector_status(session: Session) -> list[TargetStatus]:
    """Every (source, account, region) that has run, with when it last finished and last succeeded."""
    runs = CollectorRun
    key = (runs.source, runs.account_id, runs.region)
    attempts = {
        (source, account, region): (last, succeeded)
        for source, account, region, last, succeeded in session.execute(
            select(
                *key,
                func.max(runs.finished_at),
                func.max(case((runs.status == "succeeded", runs.finished_at), else_=None)),
            ).group_by(*key)
        )
    }
    errors: dict[tuple[str, str, str], tuple[datetime, str | None]] = {}
    failed = select(*key, runs.finished_at, runs.message).where(
        runs.status.in_(("failed", "skipped"))
    )
    for source, account, region, finished, message in session.execute(failed):
        known = errors.get((source, account, region))
        if known is None or (finished and finished > known[0]):
            errors[(source, account, region)] = (finished, message)
    statuses = []
    for target, (last, succeeded) in sorted(attempts.items()):
        error = errors.get(target)
        recent_error = error[1] if error and (succeeded is None or error[0] > succeeded) else None
        statuses.append(TargetStatus(*target, succeeded, last, recent_error))
    return statuses


def bedrock_hourly_cost(
    session: Session, start: datetime, end: datetime
) -> list[tuple[datetime, str, str, Decimal]]:
    """(hour, team, base model, estimated USD) for every priced Bedrock hour in [start, end)."""
    usage = BedrockUsageHourly
    statement = (
        select(usage.hour, usage.team, usage.base_model_id, func.sum(usage.estimated_cost_usd))
        .where(usage.hour >= start, usage.hour < end, usage.priced.is_(True))
        .group_by(usage.hour, usage.team, usage.base_model_id)
    )
    return [
        (hour, team, model, Decimal(str(cost or 0)))
        for hour, team, model, cost in session.execute(statement)
    ]


def alert_rows(
    session: Session,
    states: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Alert]:
    """Alert episodes, newest first: those in ``states``, and/or opened in [start, end)."""
    statement = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc())
    if states:
        statement = statement.where(Alert.state.in_(states))
    if start is not None:
        statement = statement.where(Alert.opened_at >= start)
    if end is not None:
        statement = statement.where(Alert.opened_at < end)
    return list(session.scalars(statement))


# --- SageMaker endpoints ---

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

    @property
    def idle_exempt(self) -> bool:
        """True when the endpoint bills per use or scales to zero, so idleness costs nothing."""
        return self.idle_hours is None


def _called(hourly: Any) -> Any:
    """An hour's invocations: variant totals, or the inference components' where larger (never both)."""
    return case(
        (hourly.invocations >= hourly.component_invocations, hourly.invocations),
        else_=hourly.component_invocations,
    )


def _quantized(value: Any, quantum: Decimal) -> Decimal:
    return Decimal(str(value or 0)).quantize(quantum)


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
    """
    hourly = EndpointHourly
    window: list[Any] = []
    if start is not None:
        window.append(hourly.hour >= start)
    if end is not None:
        window.append(hourly.hour < end)
    before_end = [hourly.hour < end] if end is not None else []
    unpriced = func.sum(case((hourly.priced.is_(False), 1), else_=0))
    totals = {
        endpoint_id: (hours, calls, cost, int(missing or 0))
        for endpoint_id, hours, calls, cost, missing in session.execute(
            select(
                hourly.endpoint_id,
                func.sum(hourly.service_hours),
                func.sum(_called(hourly)),
                func.sum(hourly.estimated_cost_usd),
                unpriced,
            )
            .where(*window)
            .group_by(hourly.endpoint_id)
        )
    }
    last_called = (
        select(hourly.endpoint_id, func.max(hourly.hour).label("last_hour"))
        .where(_called(hourly) > 0, *before_end)
        .group_by(hourly.endpoint_id)
        .subquery()
    )
    last = {
        endpoint_id: hour
        for endpoint_id, hour in session.execute(
            select(last_called.c.endpoint_id, last_called.c.last_hour)
        )
    }
    idle = {
        endpoint_id: (hours, cost, int(missing or 0))
        for endpoint_id, hours, cost, missing in session.execute(
            select(
                hourly.endpoint_id,
                func.sum(hourly.service_hours),
                func.sum(hourly.estimated_cost_usd),
                unpriced,
            )
            .outerjoin(last_called, last_called.c.endpoint_id == hourly.endpoint_id)
            .where(
                or_(last_called.c.last_hour.is_(None), hourly.hour > last_called.c.last_hour),
                *before_end,
            )
            .group_by(hourly.endpoint_id)
        )
    }

    endpoints = select(Endpoint)
    if end is not None:
        endpoints = endpoints.where(Endpoint.created_at < end)
    if start is not None:
        endpoints = endpoints.where(or_(Endpoint.deleted_at.is_(None), Endpoint.deleted_at > start))
    if not include_deleted:
        endpoints = endpoints.where(Endpoint.deleted_at.is_(None))
    endpoints = endpoints.where(
        *chosen((Endpoint.team, teams), (Endpoint.account_id, accounts), (Endpoint.region, regions))
    )
    endpoints = endpoints.order_by(
        Endpoint.account_id, Endpoint.region, Endpoint.endpoint_name, Endpoint.created_at
    )

    return [
        _endpoint_summary(endpoint, totals, idle, last) for endpoint in session.scalars(endpoints)
    ]


def _endpoint_summary(
    endpoint: Endpoint,
    totals: Mapping[int, tuple[Any, Any, Any, int]],
    idle: Mapping[int, tuple[Any, Any, int]],
    last: Mapping[int, datetime],
) -> EndpointSummary:
    """One endpoint life's summary from its window totals, its idle streak and its last call."""
    hours, calls, cost, missing = totals.get(endpoint.id, (0, 0, None, 0))
    idle_hours, idle_cost, idle_missing = idle.get(endpoint.id, (0, None, 0))
    exempt = endpoint.endpoint_type in IDLE_EXEMPT_TYPES or (
        endpoint.endpoint_type == "async" and endpoint.scales_to_zero
    )
    instance_variants = [v for v in endpoint.variants if v.get("instance_type")]
    return EndpointSummary(
        endpoint_id=endpoint.id,
        account_id=endpoint.account_id,
        region=endpoint.region,
        endpoint_name=endpoint.endpoint_name,
        team=endpoint.team,
        endpoint_type=endpoint.endpoint_type,
        status="Deleted" if endpoint.deleted_at is not None else endpoint.status,
        instance_type=",".join(sorted({v["instance_type"] for v in instance_variants})) or None,
        instance_count=sum(int(v.get("instance_count") or 0) for v in instance_variants),
        created_at=endpoint.created_at,
        deleted_at=endpoint.deleted_at,
        multi_model=endpoint.multi_model,
        scales_to_zero=endpoint.scales_to_zero,
        hours_in_service=_quantized(hours, _HOURS),
        invocations=int(calls or 0),
        last_invocation_at=last.get(endpoint.id),
        idle_hours=None if exempt else _quantized(idle_hours, _HOURS),
        estimated_cost_usd=None if cost is None and missing else _quantized(cost, _HOURS),
        idle_cost_usd=None
        if exempt or (idle_cost is None and idle_missing)
        else _quantized(idle_cost, _HOURS),
        priced=missing == 0,
    )


def idle_endpoints(
    session: Session, min_idle_hours: Decimal, at: datetime | None = None
) -> list[EndpointSummary]:
    """Live endpoints that have billed at least ``min_idle_hours`` in service without a call, as of ``at``."""
    return [
        summary
        for summary in endpoint_summaries(session, end=at, include_deleted=False)
        if summary.idle_hours is not None and summary.idle_hours >= min_idle_hours
    ]


def bedrock_usage(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> Iterator[BedrockUsageHourly]:
    """Hourly Bedrock usage rows in [start, end), oldest first, streamed from the database."""
    statement = select(BedrockUsageHourly)
    conditions: list[Any] = []
    if start is not None:
        conditions.append(BedrockUsageHourly.hour >= start)
    if end is not None:
        conditions.append(BedrockUsageHourly.hour < end)
    conditions += chosen(
        (BedrockUsageHourly.team, teams),
        (BedrockUsageHourly.account_id, accounts),
        (BedrockUsageHourly.region, regions),
    )
    statement = statement.where(*conditions).order_by(
        BedrockUsageHourly.hour,
        BedrockUsageHourly.account_id,
        BedrockUsageHourly.region,
        BedrockUsageHourly.model_id,
    )
    yield from session.scalars(statement.execution_options(yield_per=2000))


@dataclass(frozen=True)
class TeamUsage:
    """One team's Bedrock tokens and estimated cost over a period."""

    team: str
    invocations: int
    input_tokens: int
    output_tokens: int
    estimated_cost_usd: Decimal
    unpriced_hours: int


def bedrock_usage_by_team(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> list[TeamUsage]:
    """Bedrock usage summed per team over [start, end), costliest first; unpriced hours counted apart."""
    usage = BedrockUsageHourly
    statement = select(
        usage.team,
        func.sum(usage.invocations),
        func.sum(usage.input_tokens),
        func.sum(usage.output_tokens),
        func.coalesce(func.sum(usage.estimated_cost_usd), 0),
        func.sum(case((usage.priced.is_(False), 1), else_=0)),
    ).group_by(usage.team)
    if start is not None:
        statement = statement.where(usage.hour >= start)
    if end is not None:
        statement = statement.where(usage.hour < end)
    rows = [
        TeamUsage(
            team,
            int(calls or 0),
            int(tokens_in or 0),
            int(tokens_out or 0),
            Decimal(str(cost)).quantize(Decimal("0.01")),
            int(unpriced or 0),
        )
        for team, calls, tokens_in, tokens_out, cost, unpriced in session.execute(statement)
    ]
    return sorted(rows, key=lambda row: (-row.estimated_cost_usd, row.team))


# --- Hosting advisor ---


def model_usage(session: Session, start: datetime, end: datetime) -> list[ModelUsage]:
    """Per Bedrock model, team and region: tokens over [start, end) and the busiest hour's tokens."""
    usage = BedrockUsageHourly
    per_hour = (
        select(
            usage.model_id,
            usage.base_model_id,
            usage.team,
            usage.region,
            usage.hour,
            func.sum(usage.input_tokens).label("tokens_in"),
            func.sum(usage.output_tokens).label("tokens_out"),
        )
        .where(usage.hour >= start, usage.hour < end)
        .group_by(usage.model_id, usage.base_model_id, usage.team, usage.region, usage.hour)
        .subquery()
    )
    statement = select(
        per_hour.c.model_id,
        per_hour.c.base_model_id,
        per_hour.c.team,
        per_hour.c.region,
        func.sum(per_hour.c.tokens_in),
        func.sum(per_hour.c.tokens_out),
        func.max(per_hour.c.tokens_in),
        func.max(per_hour.c.tokens_out),
    ).group_by(per_hour.c.model_id, per_hour.c.base_model_id, per_hour.c.team, per_hour.c.region)
    hours = max(1, int((end - start).total_seconds() // 3600))
    return sorted(
        (
            ModelUsage(
                model,
                base,
                team,
                region,
                hours,
                int(tokens_in or 0),
                int(tokens_out or 0),
                int(peak_in or 0),
                int(peak_out or 0),
            )
            for model, base, team, region, tokens_in, tokens_out, peak_in, peak_out in session.execute(
                statement
            )
        ),
        key=lambda row: (row.team, row.model_id, row.region),
    )


def endpoint_usage(session: Session, start: datetime, end: datetime) -> list[EndpointUsage]:
    """Per live endpoint over [start, end): hours in service, calls, the busiest hour, hours without calls, cost."""
    hourly = EndpointHourly
    peaks = {
        endpoint_id: (int(peak or 0), Decimal(str(quiet or 0)))
        for endpoint_id, peak, quiet in session.execute(
            select(
                hourly.endpoint_id,
                func.max(hourly.invocations),
                func.sum(case((hourly.invocations == 0, hourly.service_hours), else_=0)),
            )
            .where(hourly.hour >= start, hourly.hour < end)
            .group_by(hourly.endpoint_id)
        )
    }
    result = []
    for summary in endpoint_summaries(session, start=start, end=end, include_deleted=False):
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


# --- Cost Explorer, budgets and projection ---

BEDROCK_SERVICE = "Amazon Bedrock"
SAGEMAKER_SERVICE = "Amazon SageMaker"
# Marketplace models on Bedrock bill under their own service, e.g. "Claude 3.5 Sonnet (Amazon Bedrock Edition)"
MARKETPLACE_SUFFIX = "(Amazon Bedrock Edition)"
_MICRO = Decimal("0.000001")


def is_bedrock_service(service: str) -> bool:
    """Whether a Cost Explorer service is Bedrock spend: Amazon Bedrock or a Marketplace model on it."""
    return service == BEDROCK_SERVICE or service.endswith(MARKETPLACE_SUFFIX)


def _usd(value: Any) -> Decimal:
    # SQLite hands sums back as floats: through str, then to the column's 6 places
    return Decimal(0) if value is None else Decimal(str(value)).quantize(_MICRO)


def cost_lines(
    session: Session,
    start: date | None = None,
    end: date | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    services: list[str] | None = None,
) -> Iterator[CostDaily]:
    """Cost Explorer lines of the days in [start, end), oldest first, streamed from the database."""
    conditions: list[Any] = []
    if start is not None:
        conditions.append(CostDaily.day >= start)
    if end is not None:
        conditions.append(CostDaily.day < end)
    conditions += chosen(
        (CostDaily.team, teams), (CostDaily.account_id, accounts), (CostDaily.service, services)
    )
    statement = (
        select(CostDaily)
        .where(*conditions)
        .order_by(
            CostDaily.day,
            CostDaily.account_id,
            CostDaily.service,
            CostDaily.usage_group,
            CostDaily.team,
        )
    )
    yield from session.scalars(statement.execution_options(yield_per=2000))


def daily_spend_by_team(
    session: Session, start: date, end: date, service: str | None = None
) -> dict[str, dict[date, Decimal]]:
    """Billed spend per team and day in [start, end): every GenAI service, or one."""
    statement = (
        select(CostDaily.team, CostDaily.day, func.sum(CostDaily.amount_usd))
        .where(CostDaily.day >= start, CostDaily.day < end)
        .group_by(CostDaily.team, CostDaily.day)
    )
    if service is not None and service != ALL_SERVICES:
        statement = statement.where(CostDaily.service == service)
    spend: dict[str, dict[date, Decimal]] = {}
    for team, day, amount in session.execute(statement):
        spend.setdefault(team, {})[day] = _usd(amount)
    return spend


def spend_by_team(session: Session, start: date, end: date) -> dict[str, Decimal]:
    """Billed GenAI spend per team over the days in [start, end)."""
    statement = (
        select(CostDaily.team, func.sum(CostDaily.amount_usd))
        .where(CostDaily.day >= start, CostDaily.day < end)
        .group_by(CostDaily.team)
    )
    return {team: _usd(amount) for team, amount in session.execute(statement)}


def month_to_date_by_team(session: Session, now: datetime) -> dict[str, Decimal]:
    """Each team's billed GenAI spend this UTC month so far (the open days included)."""
    start, end = month_bounds(now.astimezone(UTC).date())
    return spend_by_team(session, start, end)


def budgets_for(session: Session, period: str) -> list[Budget]:
    """The budgets of one month (``YYYY-MM``), by team and service."""
    return list(
        session.scalars(
            select(Budget).where(Budget.period == period).order_by(Budget.team, Budget.service)
        )
    )


def _history_start(as_of: date) -> date:
    return min(as_of.replace(day=1), as_of - timedelta(days=HISTORY_DAYS))


def team_projections(
    session: Session,
    now: datetime,
    aws_remaining: Mapping[str, Decimal] | None = None,
) -> dict[str, Projection]:
    """Month-end projection of every team with spend this month, last month or a budget.

    ``aws_remaining`` is AWS's forecast for the rest of the month per team, where it has one.
    """
    as_of = now.astimezone(UTC).date()
    _month_start, month_end = month_bounds(as_of)
    spend = daily_spend_by_team(session, _history_start(as_of), month_end)
    budgets = {
        b.team: b.amount_usd
        for b in budgets_for(session, period_of(as_of))
        if b.service == ALL_SERVICES
    }
    aws_remaining = aws_remaining or {}
    return {
        team: project_month(spend.get(team, {}), as_of, budgets.get(team), aws_remaining.get(team))
        for team in sorted(set(spend) | set(budgets))
    }


@dataclass(frozen=True)
class BudgetUse:
    """One budget this month: spent so far, the share of the budget used, and the projection."""

    team: str
    service: str
    period: str
    budget_usd: Decimal
    spent_usd: Decimal
    used: Decimal | None
    projection: Projection

    @property
    def projected_use(self) -> Decimal | None:
        """Projected month-end spend as a share of the budget (None for a zero budget)."""
        if self.budget_usd <= 0:
            return None
        return (self.projection.projected_usd / self.budget_usd).quantize(Decimal("0.0001"))


def budget_use(
    session: Session,
    now: datetime,
    aws_remaining: Mapping[str, Decimal] | None = None,
) -> list[BudgetUse]:
    """Every budget of this month with its use and projection, most used first."""
    as_of = now.astimezone(UTC).date()
    _month_start, month_end = month_bounds(as_of)
    period = period_of(as_of)
    history = _history_start(as_of)
    aws_remaining = aws_remaining or {}
    by_service: dict[str, dict[str, dict[date, Decimal]]] = {}
    result = []
    for budget in budgets_for(session, period):
        if budget.service not in by_service:
            by_service[budget.service] = daily_spend_by_team(
                session, history, month_end, budget.service
            )
        daily = by_service[budget.service].get(budget.team, {})
        forecast = aws_remaining.get(budget.team) if budget.service == ALL_SERVICES else None
        projection = project_month(daily, as_of, budget.amount_usd, forecast)
        used = (
            (projection.spent_usd / budget.amount_usd).quantize(Decimal("0.0001"))
            if budget.amount_usd > 0
            else None
        )
        result.append(
            BudgetUse(
                budget.team,
                budget.service,
                period,
                budget.amount_usd,
                projection.spent_usd,
                used,
                projection,
            )
        )
    return sorted(
        result,
        key=lambda row: (
            -(row.used if row.used is not None else Decimal(10**9)),
            row.team,
            row.service,
        ),
    )


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


def bedrock_reconciliation(session: Session, start: date, end: date) -> list[BedrockReconciliation]:
    """Per UTC day in [start, end) and team: estimated Bedrock cost (token metrics) vs billed."""
    usage = BedrockUsageHourly
    # summed per hour in SQL and folded into UTC days here: a date() of a timestamptz
    # depends on the Postgres session's time zone
    hourly = (
        select(
            usage.hour,
            usage.team,
            func.sum(usage.estimated_cost_usd),
            func.sum(case((usage.priced.is_(False), 1), else_=0)),
        )
        .where(
            usage.hour >= datetime.combine(start, time(0), tzinfo=UTC),
            usage.hour < datetime.combine(end, time(0), tzinfo=UTC),
        )
        .group_by(usage.hour, usage.team)
    )
    estimated: dict[tuple[date, str], Decimal] = {}
    unpriced: dict[tuple[date, str], int] = {}
    for hour, team, cost, missing in session.execute(hourly):
        key = (hour.astimezone(UTC).date(), team)
        estimated[key] = estimated.get(key, Decimal(0)) + _usd(cost)
        unpriced[key] = unpriced.get(key, 0) + int(missing or 0)
    bedrock = (CostDaily.service == BEDROCK_SERVICE) | CostDaily.service.like(
        f"%{MARKETPLACE_SUFFIX}"
    )
    billed_statement = (
        select(CostDaily.day, CostDaily.team, func.sum(CostDaily.amount_usd))
        .where(CostDaily.day >= start, CostDaily.day < end, bedrock)
        .group_by(CostDaily.day, CostDaily.team)
    )
    billed = {(day, team): _usd(amount) for day, team, amount in session.execute(billed_statement)}
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


# --- Dashboard ---

# The dimensions the dashboard groups Bedrock usage by, and the column behind each.
BEDROCK_DIMENSIONS = {
    "model": BedrockUsageHourly.base_model_id,
    "model_id": BedrockUsageHourly.model_id,
    "region": BedrockUsageHourly.region,
    "team": BedrockUsageHourly.team,
    "account": BedrockUsageHourly.account_id,
}
COST_DIMENSIONS = {
    "team": CostDaily.team,
    "service": CostDaily.service,
    "account": CostDaily.account_id,
}


def _utc_day(session: Session, column: Any) -> Any:
    """The UTC day of a timestamp column, in SQL (a plain date() would use the session's time zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _as_day(value: Any) -> date:
    # SQLite's date() answers a 'YYYY-MM-DD' string
    return value if isinstance(value, date) else date.fromisoformat(value)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class BedrockSlice:
    """Bedrock usage summed over one key (model, profile, region, team or account), per day or in all."""

    day: date | None
    key: str
    invocations: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    client_errors: int
    server_errors: int
    throttles: int
    estimated_cost_usd: Decimal
    unpriced_hours: int


def bedrock_slices(
    session: Session,
    start: datetime,
    end: datetime,
    by: str = "model",
    per_day: bool = True,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[BedrockSlice]:
    """Bedrock usage in [start, end) grouped by ``by`` (a BEDROCK_DIMENSIONS key), and by UTC day unless ``per_day`` is False."""
    usage = BedrockUsageHourly
    key = BEDROCK_DIMENSIONS[by]
    conditions: list[Any] = [usage.hour >= start, usage.hour < end]
    conditions += chosen((usage.team, teams), (usage.account_id, accounts), (usage.region, regions))
    day = _utc_day(session, usage.hour).label("day") if per_day else None
    groups = [day, key] if day is not None else [key]
    statement = (
        select(
            *groups,
            func.sum(usage.invocations),
            func.sum(usage.input_tokens),
            func.sum(usage.output_tokens),
            func.sum(usage.cache_read_tokens),
            func.sum(usage.cache_write_tokens),
            func.sum(usage.client_errors),
            func.sum(usage.server_errors),
            func.sum(usage.throttles),
            func.sum(usage.estimated_cost_usd),
            func.sum(case((usage.priced.is_(False), 1), else_=0)),
        )
        .where(*conditions)
        .group_by(*groups)
    )
    result = []
    for row in session.execute(statement):
        values = list(row)
        row_day = _as_day(values.pop(0)) if per_day else None
        (
            name,
            calls,
            tokens_in,
            tokens_out,
            cache_read,
            cache_write,
            client,
            server,
            throttled,
            cost,
            unpriced,
        ) = values
        result.append(
            BedrockSlice(
                row_day,
                name,
                int(calls or 0),
                int(tokens_in or 0),
                int(tokens_out or 0),
                int(cache_read or 0),
                int(cache_write or 0),
                int(client or 0),
                int(server or 0),
                int(throttled or 0),
                _usd(cost),
                int(unpriced or 0),
            )
        )
    return sorted(result, key=lambda s: (s.day or date.min, -s.estimated_cost_usd, s.key))


def spend_daily(
    session: Session,
    start: date,
    end: date,
    by: str = "team",
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
) -> list[tuple[date, str, Decimal]]:
    """Billed GenAI spend (Cost Explorer) per day in [start, end) and ``by`` (a COST_DIMENSIONS key), oldest first."""
    key = COST_DIMENSIONS[by]
    conditions: list[Any] = [CostDaily.day >= start, CostDaily.day < end]
    conditions += chosen((CostDaily.team, teams), (CostDaily.account_id, accounts))
    statement = (
        select(CostDaily.day, key, func.sum(CostDaily.amount_usd))
        .where(*conditions)
        .group_by(CostDaily.day, key)
    )
    return sorted(
        (_as_day(day), name, _usd(amount)) for day, name, amount in session.execute(statement)
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
    key = COST_DIMENSIONS[by]
    conditions: list[Any] = [CostDaily.day >= start, CostDaily.day < end]
    conditions += chosen((CostDaily.team, teams), (CostDaily.account_id, accounts))
    statement = select(key, func.sum(CostDaily.amount_usd)).where(*conditions).group_by(key)
    return {name: _usd(amount) for name, amount in session.execute(statement)}


def endpoint_window(
    session: Session,
    start: datetime,
    end: datetime,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[EndpointSummary]:
    """Like :func:`endpoint_summaries` for [start, end), reading only the window and each idle streak.

    The last call before ``end`` is found per endpoint by a backward walk of the (endpoint, hour)
    primary key that stops at the first called hour, and the idle sums read only the hours after
    it, so the cost follows the window and the idle streaks, not the history stored.
    """
    hourly = EndpointHourly
    endpoints = select(Endpoint).where(
        Endpoint.created_at < end, or_(Endpoint.deleted_at.is_(None), Endpoint.deleted_at > start)
    )
    endpoints = endpoints.where(
        *chosen((Endpoint.team, teams), (Endpoint.account_id, accounts), (Endpoint.region, regions))
    )
    lives = list(
        session.scalars(
            endpoints.order_by(
                Endpoint.account_id, Endpoint.region, Endpoint.endpoint_name, Endpoint.created_at
            )
        )
    )
    if not lives:
        return []
    ids = [life.id for life in lives]
    unpriced = func.sum(case((hourly.priced.is_(False), 1), else_=0))
    totals = {
        endpoint_id: (hours, calls, cost, int(missing or 0))
        for endpoint_id, hours, calls, cost, missing in session.execute(
            select(
                hourly.endpoint_id,
                func.sum(hourly.service_hours),
                func.sum(_called(hourly)),
                func.sum(hourly.estimated_cost_usd),
                unpriced,
            )
            .where(hourly.hour >= start, hourly.hour < end, hourly.endpoint_id.in_(ids))
            .group_by(hourly.endpoint_id)
        )
    }
    inner = EndpointHourly.__table__.alias("called_hour")
    last_call = (
        select(func.max(inner.c.hour))
        .where(
            inner.c.endpoint_id == Endpoint.id,
            inner.c.hour < end,
            case(
                (inner.c.invocations >= inner.c.component_invocations, inner.c.invocations),
                else_=inner.c.component_invocations,
            )
            > 0,
        )
        .scalar_subquery()
    )
    last = {
        endpoint_id: hour
        for endpoint_id, hour in session.execute(
            select(Endpoint.id, last_call).where(Endpoint.id.in_(ids))
        )
    }
    streaks = [
        (hourly.endpoint_id == endpoint_id) & (hourly.hour > last[endpoint_id])
        if last.get(endpoint_id)
        else hourly.endpoint_id == endpoint_id
        for endpoint_id in ids
    ]
    idle = {
        endpoint_id: (hours, cost, int(missing or 0))
        for endpoint_id, hours, cost, missing in session.execute(
            select(
                hourly.endpoint_id,
                func.sum(hourly.service_hours),
                func.sum(hourly.estimated_cost_usd),
                unpriced,
            )
            .where(or_(*streaks), hourly.hour < end)
            .group_by(hourly.endpoint_id)
        )
    }
    return [_endpoint_summary(endpoint, totals, idle, last) for endpoint in lives]


@dataclass(frozen=True)
class FilterOptions:
    """The teams, accounts and regions a dashboard filter can offer for a window."""

    teams: list[str]
    accounts: list[str]
    regions: list[str]


def filter_options(session: Session, start: datetime, end: datetime) -> FilterOptions:
    """Teams, accounts and regions with data in [start, end) or a known endpoint or budget."""
    usage = BedrockUsageHourly
    in_window = (usage.hour >= start, usage.hour < end)
    days = (CostDaily.day >= start.date(), CostDaily.day < end.date() + timedelta(days=1))
    teams = set(session.scalars(select(usage.team).where(*in_window).distinct()))
    teams |= set(session.scalars(select(CostDaily.team).where(*days).distinct()))
    teams |= set(session.scalars(select(Endpoint.team).distinct()))
    teams |= set(session.scalars(select(Budget.team).distinct()))
    accounts = set(session.scalars(select(usage.account_id).where(*in_window).distinct()))
    accounts |= set(session.scalars(select(CostDaily.account_id).where(*days).distinct()))
    accounts |= set(session.scalars(select(Endpoint.account_id).distinct()))
    regions = set(session.scalars(select(usage.region).where(*in_window).distinct()))
    regions |= set(session.scalars(select(Endpoint.region).distinct()))
    return FilterOptions(sorted(teams), sorted(accounts), sorted(regions))


def alerts_resolved(session: Session, start: datetime, end: datetime) -> list[Alert]:
    """Alert episodes resolved in [start, end), newest first."""
    statement = (
        select(Alert)
        .where(Alert.resolved_at >= start, Alert.resolved_at < end)
        .order_by(Alert.resolved_at.desc(), Alert.id.desc())
    )
    return list(session.scalars(statement))
