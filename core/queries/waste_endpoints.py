"""Idle SageMaker endpoints as waste: in service, billing by the instance-hour, and not called.

Idle means what the ``idle_endpoint`` rule means: an instance-backed endpoint in service whose
in-service hours since its last call reach the threshold. Serverless endpoints and async ones
scaling to zero bill per use: they are never waste. A deleted endpoint no longer bills.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from core.models import Endpoint, EndpointHourly
from core.queries.endpoints import EndpointSummary, endpoint_summaries
from core.queries.waste_row import WasteRow, WasteScope, per_month

KIND = "sagemaker_endpoint"
DEFAULT_FOR = timedelta(hours=24)
_MICRO = Decimal("0.000001")
_HOUR = timedelta(hours=1)


def endpoint_arn(account_id: str, region: str, name: str) -> str:
    """A SageMaker endpoint's ARN as AWS spells it (the name lower-cased)."""
    return f"arn:aws:sagemaker:{region}:{account_id}:endpoint/{name.lower()}"


def _arns(session: Session, ids: list[int]) -> dict[int, str | None]:
    """The stored ARN of each endpoint life."""
    found = session.execute(select(Endpoint.id, Endpoint.endpoint_arn).where(Endpoint.id.in_(ids)))
    return {endpoint_id: arn for endpoint_id, arn in found}


def hourly_rates(session: Session, ids: list[int], at: datetime) -> dict[int, Decimal]:
    """Per endpoint: the cost of one in-service hour at its newest priced hour before ``at``."""
    latest = (
        select(EndpointHourly.endpoint_id, func.max(EndpointHourly.hour).label("hour"))
        .where(
            EndpointHourly.endpoint_id.in_(ids),
            EndpointHourly.hour < at,
            EndpointHourly.service_hours > 0,
            EndpointHourly.estimated_cost_usd.is_not(None),
        )
        .group_by(EndpointHourly.endpoint_id)
        .subquery()
    )
    statement = select(
        EndpointHourly.endpoint_id,
        EndpointHourly.estimated_cost_usd,
        EndpointHourly.service_hours,
    ).join(
        latest,
        and_(
            EndpointHourly.endpoint_id == latest.c.endpoint_id,
            EndpointHourly.hour == latest.c.hour,
        ),
    )
    return {
        endpoint_id: (Decimal(str(cost)) / Decimal(str(hours))).quantize(_MICRO)
        for endpoint_id, cost, hours in session.execute(statement)
    }


def _action(summary: EndpointSummary) -> str:
    """What stops the bill: an async endpoint can scale to zero, a real-time one is deleted."""
    return "scale-to-zero" if summary.endpoint_type == "async" else "delete (snapshot first)"


def _row(summary: EndpointSummary, arn: str | None, rate: Decimal | None, at: datetime) -> WasteRow:
    """One idle endpoint as a waste row."""
    last = summary.last_invocation_at
    since = last + _HOUR if last is not None else summary.created_at
    return WasteRow(
        kind=KIND,
        resource=arn or endpoint_arn(summary.account_id, summary.region, summary.endpoint_name),
        name=summary.endpoint_name,
        account_id=summary.account_id,
        region=summary.region,
        team=summary.team,
        idle_since=min(since, at),
        idle_hours=summary.idle_hours or Decimal(0),
        burnt_usd=summary.idle_cost_usd,
        monthly_usd=per_month(rate),
        action=_action(summary),
    )


def idle_threshold_hours(scope: WasteScope) -> Decimal:
    """The hours without a call after which an endpoint is idle, in this scope."""
    return Decimal(int(scope.threshold(KIND, DEFAULT_FOR).total_seconds())) / 3600


def live_endpoints(session: Session, scope: WasteScope) -> list[EndpointSummary]:
    """The endpoints alive at ``scope.at`` in the scope's teams, accounts and regions."""
    return endpoint_summaries(
        session,
        end=scope.at,
        teams=scope.teams,
        accounts=scope.accounts,
        regions=scope.regions,
        include_deleted=False,
    )


def idle_endpoint_waste(session: Session, scope: WasteScope) -> list[WasteRow]:
    """Every live endpoint in service, billing while idle, idle for at least its threshold at ``scope.at``."""
    threshold = idle_threshold_hours(scope)
    idle = [
        summary
        for summary in live_endpoints(session, scope)
        if summary.status == "InService" and summary.idle_for(threshold)
    ]
    if not idle:
        return []
    ids = [summary.endpoint_id for summary in idle]
    arns: Mapping[int, str | None] = _arns(session, ids)
    rates = hourly_rates(session, ids, scope.at)
    return [
        _row(summary, arns.get(summary.endpoint_id), rates.get(summary.endpoint_id), scope.at)
        for summary in idle
    ]
