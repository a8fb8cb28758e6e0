"""Cost Explorer for the demo world: GetCostAndUsage answered from the request's own parameters.

moto does not track cost: its GetCostAndUsage answers from a queue of canned results, taken in
the order requests arrive. This stand-in instead computes each answer from the world's bill and
the request (TimePeriod, Granularity, Filter, GroupBy, Metrics, NextPageToken), as AWS does,
so any caller in any order gets the same figures. `answer` is pure; `cost_explorer` installs it
in the in-process moto while the demo runs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any

from core.services import PRINCIPAL_TAG_PREFIX
from demo.generate import CostItem, World
from demo.world import ACCOUNT

# periods per page: AWS pages long answers; the demo's windows fit in one
PAGE_SIZE = 100
GRANULARITIES = ("DAILY", "MONTHLY")


def periods(first: date, end: date, granularity: str) -> list[tuple[date, date]]:
    """The [start, end) periods of a TimePeriod: days, or months cut at the period's edges."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"the demo's Cost Explorer answers {GRANULARITIES}, not {granularity}")
    result = []
    cursor = first
    while cursor < end:
        if granularity == "DAILY":
            stop = cursor + timedelta(days=1)
        else:
            stop = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        result.append((cursor, min(stop, end)))
        cursor = result[-1][1]
    return result


def item_value(item: CostItem, account_id: str, kind: str, key: str) -> str:
    """A line's value for a GroupBy or Filter key: a dimension, or a tag group like ``team$search``."""
    if kind == "TAG" and key.startswith(PRINCIPAL_TAG_PREFIX):
        # the caller's tags; untagged comes back as `iamPrincipal/team$`, like a resource tag
        return f"{key}${dict(item.principal_tags).get(key.removeprefix(PRINCIPAL_TAG_PREFIX), '')}"
    if kind == "TAG":
        tag, _, value = item.team_key.partition("$")
        return f"{key}${value if tag == key else ''}"
    dimensions = {
        "SERVICE": item.service,
        "LINKED_ACCOUNT": account_id,
        "USAGE_TYPE": item.usage_type,
    }
    if key not in dimensions:
        raise ValueError(f"the demo's Cost Explorer does not know the dimension {key}")
    return dimensions[key]


def matches(expression: Mapping[str, Any] | None, item: CostItem, account_id: str) -> bool:
    """Whether a line passes a Cost Explorer filter expression (And, Or, Not, Dimensions, Tags)."""
    if not expression:
        return True
    if "And" in expression:
        return all(matches(part, item, account_id) for part in expression["And"])
    if "Or" in expression:
        return any(matches(part, item, account_id) for part in expression["Or"])
    if "Not" in expression:
        return not matches(expression["Not"], item, account_id)
    for kind, field in (("DIMENSION", "Dimensions"), ("TAG", "Tags")):
        if field in expression:
            key, values = expression[field]["Key"], expression[field]["Values"]
            value = item_value(item, account_id, kind, key)
            return (value.partition("$")[2] if kind == "TAG" else value) in values
    raise ValueError(f"the demo's Cost Explorer does not understand the filter {expression}")


def _metrics(
    names: Sequence[str], amount: Decimal, quantity: Decimal, unit: str
) -> dict[str, dict[str, str]]:
    # the demo has no commitments: amortized cost is the unblended cost
    return {
        name: {"Amount": str(quantity), "Unit": unit}
        if name == "UsageQuantity"
        else {"Amount": str(amount), "Unit": "USD"}
        for name in names
    }


def _result(
    period: tuple[date, date],
    lines: list[CostItem],
    request: Mapping[str, Any],
    account_id: str,
    today: date,
) -> dict[str, Any]:
    """One ResultsByTime entry: the period's total, or its groups by the GroupBy keys."""
    names = request.get("Metrics", ["UnblendedCost"])
    group_by = request.get("GroupBy", [])
    sums: dict[tuple[str, ...], Decimal] = defaultdict(Decimal)
    quantities: dict[tuple[str, ...], Decimal] = defaultdict(Decimal)
    units: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for item in lines:
        keys = tuple(item_value(item, account_id, g["Type"], g["Key"]) for g in group_by)
        sums[keys] += item.amount
        quantities[keys] += item.quantity
        units[keys].add(item.unit)

    def metrics(keys: tuple[str, ...]) -> dict[str, dict[str, str]]:
        # quantities of different units do not add up: Cost Explorer says N/A then
        unit = next(iter(units[keys])) if len(units[keys]) == 1 else "N/A"
        return _metrics(names, sums.get(keys, Decimal(0)), quantities.get(keys, Decimal(0)), unit)

    start, end = period
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Total": {} if group_by else metrics(()),
        "Groups": [{"Keys": list(keys), "Metrics": metrics(keys)} for keys in sorted(sums)]
        if group_by
        else [],
        # yesterday and later are still restated
        "Estimated": end >= today,
    }


def answer(
    world: World,
    request: Mapping[str, Any],
    account_id: str = ACCOUNT,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """The GetCostAndUsage answer to a request (its parameters as boto3 sends them) for the world's
    bill, every line of which belongs to ``account_id``."""
    if len(request.get("GroupBy", [])) > 2:
        raise ValueError("Cost Explorer groups by at most two keys")
    first = date.fromisoformat(request["TimePeriod"]["Start"])
    end = date.fromisoformat(request["TimePeriod"]["End"])
    every = periods(first, end, request.get("Granularity", "MONTHLY"))
    offset = int(request.get("NextPageToken") or 0)
    page = every[offset : offset + page_size]
    lines = [
        item
        for item in world.cost_items()
        if first <= item.day < end and matches(request.get("Filter"), item, account_id)
    ]
    today = world.now.astimezone(UTC).date()
    result: dict[str, Any] = {
        "ResultsByTime": [
            _result(
                period,
                [i for i in lines if period[0] <= i.day < period[1]],
                request,
                account_id,
                today,
            )
            for period in page
        ],
        "DimensionValueAttributes": [],
    }
    if offset + page_size < len(every):
        result["NextPageToken"] = str(offset + page_size)
    return result


@contextmanager
def cost_explorer(world: World) -> Iterator[None]:
    """Make the in-process moto's GetCostAndUsage answer from the world's bill while it runs."""
    from moto.ce.models import CostExplorerBackend

    original = CostExplorerBackend.get_cost_and_usage

    def get_cost_and_usage(self: Any, body: str) -> dict[str, Any]:
        return answer(world, json.loads(body), self.account_id)

    CostExplorerBackend.get_cost_and_usage = get_cost_and_usage  # type: ignore[method-assign]
    try:
        yield
    finally:
        CostExplorerBackend.get_cost_and_usage = original  # type: ignore[method-assign]
