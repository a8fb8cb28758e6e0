"""Rows of the monitor's tables, for worlds written straight into a database (no AWS, no collector).

One builder per table, each row spelled out once with the defaults a collected row would have:
the dashboard tests' small organisation (`demo.small`) and the benchmarks' large one
(`demo.scale`) are made of these.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alert_state import AlertState
from core.db import upsert
from core.models import Alert, Endpoint

MICRO = Decimal("0.000001")


def bedrock_row(
    *,
    account_id: str,
    region: str,
    model_id: str,
    hour: datetime,
    team: str,
    invocations: int,
    input_tokens: int,
    output_tokens: int,
    estimated_cost_usd: Decimal,
    collected_at: datetime,
    base_model_id: str | None = None,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    client_errors: int = 0,
    throttles: int = 0,
    latency_ms_avg: float = 300.0,
    price_source: str | None = None,
    price_as_of: str | None = None,
) -> dict[str, Any]:
    """One model-hour of Bedrock usage, priced and final (by ``price_source``, if given)."""
    return {
        "account_id": account_id,
        "region": region,
        "model_id": model_id,
        "hour": hour,
        "base_model_id": base_model_id or model_id,
        "team": team,
        "invocations": invocations,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_tokens": cache_read_tokens,
        "cache_write_tokens": cache_write_tokens,
        "client_errors": client_errors,
        "server_errors": 0,
        "throttles": throttles,
        "latency_ms_avg": latency_ms_avg,
        "estimated_cost_usd": estimated_cost_usd,
        "priced": True,
        "provisional": False,
        "price_source": price_source,
        "price_as_of": price_as_of,
        "collected_at": collected_at,
    }


def endpoint_row(
    *,
    account_id: str,
    region: str,
    name: str,
    team: str,
    created_at: datetime,
    seen_at: datetime,
    instance_type: str | None,
    instance_count: int = 1,
    endpoint_type: str = "real-time",
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One in-service SageMaker endpoint with one variant (no instance: serverless)."""
    variant: dict[str, Any] = {"name": "AllTraffic"}
    if instance_type:
        variant.update(instance_type=instance_type, instance_count=instance_count)
    return {
        "account_id": account_id,
        "region": region,
        "endpoint_name": name,
        "created_at": created_at,
        "endpoint_type": endpoint_type,
        "status": "InService",
        "team": team,
        "tags": {} if tags is None else tags,
        "variants": [variant],
        "inference_components": [],
        "async_inference": None,
        "multi_model": False,
        "scales_to_zero": False,
        "last_seen_at": seen_at,
        "endpoint_arn": None,
        "endpoint_config_name": None,
        "last_modified_at": None,
        "deleted_at": None,
    }


def put_endpoints(session: Session, rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Upsert endpoints; returns every stored endpoint's id by name."""
    upsert(
        session, Endpoint, list(rows), key=["account_id", "region", "endpoint_name", "created_at"]
    )
    found = session.execute(select(Endpoint.endpoint_name, Endpoint.id))
    return {name: endpoint_id for name, endpoint_id in found}


def endpoint_hour_row(
    *,
    endpoint_id: int,
    hour: datetime,
    instance_type: str | None,
    instance_count: int,
    invocations: int,
    estimated_cost_usd: Decimal,
    collected_at: datetime,
) -> dict[str, Any]:
    """One endpoint-hour in service."""
    return {
        "endpoint_id": endpoint_id,
        "hour": hour,
        "status": "InService",
        "instance_type": instance_type,
        "instance_count": instance_count,
        "service_hours": Decimal(1),
        "invocations": invocations,
        "component_invocations": 0,
        "estimated_cost_usd": estimated_cost_usd,
        "priced": True,
        "collected_at": collected_at,
    }


def cost_row(
    day: Any, account_id: str, service: str, team: str, amount: Decimal, collected_at: datetime
) -> dict[str, Any]:
    """One final Cost Explorer line of a day (all usage types together)."""
    return {
        "day": day,
        "account_id": account_id,
        "service": service,
        "usage_group": "all",
        "team": team,
        "amount_usd": amount.quantize(MICRO),
        "amortized_usd": None,
        "estimated": False,
        "collected_at": collected_at,
    }


def budget_row(team: str, period: str, amount: Decimal, updated_at: datetime) -> dict[str, Any]:
    """A team's monthly budget for all its GenAI spend."""
    return {
        "team": team,
        "service": "all",
        "period": period,
        "amount_usd": amount,
        "updated_at": updated_at,
    }


def alert(
    *,
    rule: str,
    subject: str,
    team: str,
    state: str,
    opened: datetime,
    seen: datetime,
    active_since: datetime | None = None,
    resolved: datetime | None = None,
    silenced_until: datetime | None = None,
    message: str | None = None,
) -> Alert:
    """One alert episode of a warning severity, never notified (active and fired since ``active_since``,
    by default since it opened)."""
    active_since = active_since or opened
    return Alert(
        rule=rule,
        subject=subject,
        opened_at=opened,
        team=team,
        severity="warning",
        state=state,
        active_since=active_since,
        fired_at=active_since if state != AlertState.PENDING else None,
        last_seen_at=seen,
        last_notified_at=None,
        resolved_at=resolved,
        silenced_until=silenced_until,
        message=message or f"{rule} on {subject}",
        details={},
    )
