"""Cost Explorer, transform side (pure): GetCostAndUsage pages -> which (account, service) pairs
have spend, and the cost_daily rows."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from core.aws import Target
from core.services import is_genai_service
from core.settings import UNATTRIBUTED

log = logging.getLogger(__name__)

MICRO = Decimal("0.000001")
USAGE_GROUPS = (
    "input_tokens",
    "output_tokens",
    "cache",
    "instance_hours",
    "serverless",
    "storage",
    "other",
)
MAX_TEAM_LENGTH = 64
# One month of a MONTHLY answer: its first day, the day after it, the (account, service) pairs
MonthPairs = tuple[date, date, frozenset[tuple[str, str]]]


def usage_group(usage_type: str) -> str:
    """The usage group of a Cost Explorer usage type, e.g. ``USE1-Claude3.5Sonnet-input-tokens``."""
    text = usage_type.lower().replace("_", "-")
    if "cache" in text:
        return "cache"
    if "token" in text and "input" in text:
        return "input_tokens"
    if "token" in text and "output" in text:
        return "output_tokens"
    if "storage" in text or "volumeusage" in text or "-gb-mo" in text:
        return "storage"
    if "serverless" in text or text.endswith("ocu") or "-ocu" in text:
        return "serverless"
    if any(
        marker in text
        for marker in ("host:", "asyncinf:", "esinstance", "instance", "provisioned", "modelunit")
    ):
        return "instance_hours"
    return "other"


def team_of(key: str, tag_key: str, default_team: str | None = None) -> str:
    """The team in a tag group key: ``team$search`` -> search; ``team$`` -> the default or unattributed."""
    prefix = f"{tag_key}$"
    value = key[len(prefix) :] if key.startswith(prefix) else key.split("$", 1)[-1]
    value = value.strip()
    if not value:
        return default_team or UNATTRIBUTED
    if len(value) > MAX_TEAM_LENGTH:
        log.warning(
            "cost allocation tag value %r is longer than %d characters: counted as %s",
            value,
            MAX_TEAM_LENGTH,
            UNATTRIBUTED,
        )
        return UNATTRIBUTED
    return value


def responsible_for(account_id: str, target: Target, configured: frozenset[str]) -> bool:
    """Whether this target stores an account's lines: its own, and a payer's unconfigured linked accounts.

    A configured account is collected through its own target only, so a payer and a member
    listed together never count the member twice.
    """
    return account_id == target.account_id or account_id not in configured


def months_with_spend(
    monthly: Iterable[Mapping[str, Any]],
    target: Target,
    configured: frozenset[str],
    extra_services: Iterable[str] = (),
) -> list[MonthPairs]:
    """Per month of MONTHLY SERVICE x LINKED_ACCOUNT pages, the (account, GenAI service) pairs
    with spend that this target is responsible for."""
    extras = tuple(extra_services)
    months: dict[tuple[date, date], set[tuple[str, str]]] = {}
    for page in monthly:
        for result in page.get("ResultsByTime", []):
            period = (
                date.fromisoformat(result["TimePeriod"]["Start"]),
                date.fromisoformat(result["TimePeriod"]["End"]),
            )
            found = months.setdefault(period, set())
            for group in result.get("Groups", []):
                service, account_id = group["Keys"]
                if is_genai_service(service, extras) and responsible_for(
                    account_id, target, configured
                ):
                    found.add((account_id, service))
    return [(first, end, frozenset(pairs)) for (first, end), pairs in sorted(months.items())]


@dataclass(frozen=True)
class CostLine:
    """One group of one day of a GetCostAndUsage answer, before grouping."""

    day: date
    account_id: str
    service: str
    usage_type: str
    team_key: str
    unblended: Decimal
    amortized: Decimal | None
    estimated: bool
    quantity: Decimal | None = None  # UsageQuantity, in ``unit`` of the usage type
    unit: str | None = None


def parse_page(page: Mapping[str, Any], account_id: str, service: str) -> list[CostLine]:
    """The lines of one GetCostAndUsage page grouped by USAGE_TYPE x TAG."""
    lines = []
    for result in page.get("ResultsByTime", []):
        day = date.fromisoformat(result["TimePeriod"]["Start"])
        for group in result.get("Groups", []):
            usage_type, team_key = group["Keys"]
            metrics = group.get("Metrics", {})
            amortized = metrics.get("AmortizedCost")
            quantity = metrics.get("UsageQuantity")
            lines.append(
                CostLine(
                    day=day,
                    account_id=account_id,
                    service=service,
                    usage_type=usage_type,
                    team_key=team_key,
                    unblended=Decimal(metrics["UnblendedCost"]["Amount"]),
                    amortized=Decimal(amortized["Amount"]) if amortized else None,
                    estimated=bool(result.get("Estimated", False)),
                    quantity=Decimal(quantity["Amount"]) if quantity else None,
                    unit=quantity.get("Unit") if quantity else None,
                )
            )
    return lines


def transform(
    lines: Iterable[CostLine],
    *,
    tag_key: str,
    default_teams: Mapping[str, str],
    collected_at: datetime,
) -> list[dict[str, Any]]:
    """Sum lines into one row per (day, account, service, usage group, team).

    A day is ``estimated`` when Cost Explorer says so or when it is today or later (still open).
    """
    today = collected_at.astimezone(UTC).date()
    grouped: dict[tuple[date, str, str, str, str], dict[str, Any]] = {}
    for line in lines:
        team = team_of(line.team_key, tag_key, default_teams.get(line.account_id))
        key = (line.day, line.account_id, line.service, usage_group(line.usage_type), team)
        row = grouped.get(key)
        if row is None:
            row = grouped[key] = {
                "amount_usd": Decimal(0),
                "amortized_usd": None,
                "estimated": False,
            }
        row["amount_usd"] += line.unblended
        if line.amortized is not None:
            row["amortized_usd"] = (row["amortized_usd"] or Decimal(0)) + line.amortized
        row["estimated"] = row["estimated"] or line.estimated or line.day >= today
    rows = []
    for (day, account_id, service, group, team), values in sorted(grouped.items()):
        amortized = values["amortized_usd"]
        rows.append(
            {
                "day": day,
                "account_id": account_id,
                "service": service,
                "usage_group": group,
                "team": team,
                "amount_usd": values["amount_usd"].quantize(MICRO),
                "amortized_usd": None if amortized is None else amortized.quantize(MICRO),
                "estimated": values["estimated"],
                "collected_at": collected_at,
            }
        )
    return rows


def usage_rows(
    lines: Iterable[CostLine],
    *,
    tag_key: str,
    default_teams: Mapping[str, str],
    collected_at: datetime,
) -> list[dict[str, Any]]:
    """Sum lines into one cost_usage_daily row per (day, account, service, usage type, team):
    cost and usage quantity, whose ratio is the bill's effective rate."""
    grouped: dict[tuple[date, str, str, str, str], dict[str, Any]] = {}
    for line in lines:
        team = team_of(line.team_key, tag_key, default_teams.get(line.account_id))
        key = (line.day, line.account_id, line.service, line.usage_type, team)
        row = grouped.setdefault(key, {"amount_usd": Decimal(0), "quantity": None, "unit": None})
        row["amount_usd"] += line.unblended
        if line.quantity is not None:
            row["quantity"] = (row["quantity"] or Decimal(0)) + line.quantity
            row["unit"] = row["unit"] or line.unit
    return [
        {
            "day": day,
            "account_id": account_id,
            "service": service,
            "usage_type": usage_type,
            "team": team,
            "amount_usd": values["amount_usd"].quantize(MICRO),
            "usage_quantity": None
            if values["quantity"] is None
            else values["quantity"].quantize(MICRO),
            "unit": values["unit"],
            "collected_at": collected_at,
        }
        for (day, account_id, service, usage_type, team), values in sorted(grouped.items())
    ]
