"""Idle endpoints: in service, billing by the hour, and not called for longer than `for`."""

from __future__ import annotations

import fnmatch
from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.rules.base import Finding, hours, money
from alerts.snapshot import Snapshot
from core.queries.waste_endpoints import endpoint_arn
from core.registry import RuleEntry, rules
from core.settings import Duration, RuleSettings
from core.tags import KEEP_ALIVE_TAG, keep_alive_until

# An endpoint must have gone a full hour without a call before it is even pending idle.
MIN_IDLE = timedelta(hours=1)


class IdleEndpointRule(RuleSettings):
    """`{kind: idle_endpoint}`: fires for an endpoint idle longer than ``for``."""

    kind: Literal["idle_endpoint"]
    for_: Duration = Field(default=timedelta(hours=24), alias="for")
    exclude_names: list[str] = Field(default_factory=list)  # shell patterns, e.g. "*-canary"
    # an endpoint tagged keep-alive-until=2026-12-31 is silenced until that date
    keep_alive_tag: str = KEEP_ALIVE_TAG


def idle_endpoints(rule: IdleEndpointRule, snapshot: Snapshot) -> list[Finding]:
    """In-service, instance-backed endpoints with no invocation for at least an hour (fires after ``for``)."""
    findings = []
    for endpoint in snapshot.endpoints or ():
        if not (endpoint.in_service and endpoint.bills_while_idle) or endpoint.idle_since is None:
            continue
        idle = snapshot.now - endpoint.idle_since
        if idle < MIN_IDLE:
            continue
        if any(
            fnmatch.fnmatchcase(endpoint.endpoint_name, pattern) for pattern in rule.exclude_names
        ):
            continue
        capacity = f"{endpoint.instance_type or 'unknown type'} x{endpoint.instance_count}"
        findings.append(
            Finding(
                rule=rule.rule_name,
                subject=endpoint.subject,
                team=endpoint.team,
                severity=rule.severity,
                message=(
                    f"endpoint {endpoint.endpoint_name} ({capacity}, {endpoint.account_id}/{endpoint.region}) "
                    f"has had no invocations for {hours(idle)}; {money(endpoint.idle_cost_usd)} spent while idle"
                ),
                active_since=endpoint.idle_since,
                hold_for=rule.for_,
                silenced_until=keep_alive_until(endpoint.tags.get(rule.keep_alive_tag)),
                details={
                    "resource": endpoint_arn(
                        endpoint.account_id, endpoint.region, endpoint.endpoint_name
                    ),
                    "endpoint_name": endpoint.endpoint_name,
                    "account_id": endpoint.account_id,
                    "region": endpoint.region,
                    "instance_type": endpoint.instance_type,
                    "instance_count": endpoint.instance_count,
                    "idle_hours": round(idle.total_seconds() / 3600, 1),
                    "idle_cost_usd": None
                    if endpoint.idle_cost_usd is None
                    else str(endpoint.idle_cost_usd),
                },
            )
        )
    return findings


rules.add(RuleEntry("idle_endpoint", IdleEndpointRule, idle_endpoints, needs="endpoints", order=10))
