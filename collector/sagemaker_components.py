"""Inference components' hours (pure): per component and endpoint-hour its copies, invocations
and share of the endpoint's instance cost -> inference_component_hourly rows.

The share rule: the endpoint's instances are paid for whole; each component carries the part of
them its copies reserve, among what all its endpoint's components reserve: copies x accelerator
devices when any component of the endpoint reserves accelerators, else copies x CPU cores, else
copies x memory. Capacity no component reserves is not attributed to any (the endpoint's cost
stays the whole). A component whose copies or reservation AWS did not report has no share
(unpriced), and neither has any other of that endpoint, rather than a wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from collector.cloudwatch import Datapoint
from collector.sagemaker_hours import LifeKey, component_invocations, life_hours
from collector.sagemaker_lives import EndpointLife
from core.pricing import MONEY_QUANTUM

SHARE_QUANTUM = Decimal("0.000001")
# the resource a reservation is counted in, in order of preference
RESOURCES = ("accelerators", "cpu_cores", "memory_mb")


def _resource(components: Sequence[Mapping[str, Any]]) -> str | None:
    for resource in RESOURCES:
        if any(component.get(resource) for component in components):
            return resource
    return None


def component_shares(components: Sequence[Mapping[str, Any]]) -> dict[str, Decimal | None]:
    """Component name -> its share of the endpoint's instance cost (None: unknown)."""
    named = [component for component in components if component.get("name")]
    resource = _resource(named)
    weights: dict[str, Decimal] = {}
    for component in named:
        copies, amount = component.get("copies"), component.get(resource) if resource else None
        if copies is None or amount is None:
            return {str(component["name"]): None for component in named}
        weights[str(component["name"])] = Decimal(str(copies)) * Decimal(str(amount))
    total = sum(weights.values(), Decimal(0))
    if total <= 0:
        return dict.fromkeys(weights, None)
    return {name: (weight / total).quantize(SHARE_QUANTUM) for name, weight in weights.items()}


def component_rows(
    lives: Sequence[EndpointLife],
    datapoints: Iterable[Datapoint],
    *,
    start: datetime,
    end: datetime,
    snapshot_at: datetime,
    collected_at: datetime,
) -> list[tuple[LifeKey, dict[str, Any]]]:
    """One row per component of each endpoint-hour of [start, end) in which its endpoint existed
    (the cost follows at load, from the endpoint-hour's recorded cost)."""
    _calls, counts = component_invocations(lives, datapoints)
    rows = []
    for life in lives:
        if not life.inference_components:
            continue
        shares = component_shares(life.inference_components)
        for hour, _fraction in life_hours(life, start, end, snapshot_at):
            for component in life.inference_components:
                name = component.get("name")
                if not name:
                    continue
                row = {
                    "component_name": name,
                    "hour": hour,
                    "copies": int(component.get("copies") or 0),
                    "invocations": counts.get((life.key, name, hour), 0),
                    "cost_share": shares.get(name),
                    "collected_at": collected_at,
                }
                rows.append((life.key, row))
    return rows


def priced(
    row: Mapping[str, Any], endpoint_cost: Decimal | None, endpoint_priced: bool
) -> dict[str, Any]:
    """A component row with its part of the endpoint-hour's cost (None when either is unknown)."""
    share = row["cost_share"]
    cost = None
    if share is not None and endpoint_cost is not None:
        cost = (endpoint_cost * share).quantize(MONEY_QUANTUM)
    return {**row, "estimated_cost_usd": cost, "priced": cost is not None and endpoint_priced}
