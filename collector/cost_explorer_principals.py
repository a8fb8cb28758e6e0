"""Cost Explorer by IAM principal cost allocation tag (#14): the request and the pure transform.

Since April 2026 the tags of the IAM principal that called Bedrock (and session tags) are cost
allocation tags named ``iamPrincipal/<key>``. For each configured
``attribution.principal_tag_keys`` key, one DAILY request per window covers every account and
Bedrock service (Marketplace "(Amazon Bedrock Edition)" services included) that the MONTHLY
discovery found with spend: Filter LINKED_ACCOUNT x SERVICE, GroupBy LINKED_ACCOUNT x TAG. So
the extra cost is windows x keys requests (plus pages), none without keys or Bedrock spend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from collector.cost_explorer_rows import MICRO, team_of
from core.services import PRINCIPAL_TAG_PREFIX, is_bedrock_service


def principal_tag(key: str) -> str:
    """The Cost Explorer tag key of a principal tag key: ``team`` -> ``iamPrincipal/team``."""
    return f"{PRINCIPAL_TAG_PREFIX}{key}"


def principal_request(
    first: date, end: date, pairs: Iterable[tuple[str, str]], key: str, metrics: Sequence[str]
) -> dict[str, Any] | None:
    """The GetCostAndUsage parameters of one window's Bedrock spend by one principal tag key
    (None when no account has Bedrock spend in the window: nothing to ask)."""
    bedrock = [(account, service) for account, service in pairs if is_bedrock_service(service)]
    if not bedrock:
        return None
    accounts = sorted({account for account, _ in bedrock})
    services = sorted({service for _, service in bedrock})
    return {
        "TimePeriod": {"Start": first.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        # UsageQuantity adds nothing here: units of different usage types do not add up
        "Metrics": [metric for metric in metrics if metric != "UsageQuantity"],
        "Filter": {
            "And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": accounts}},
                {"Dimensions": {"Key": "SERVICE", "Values": services}},
            ]
        },
        "GroupBy": [
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
            {"Type": "TAG", "Key": principal_tag(key)},
        ],
    }


def principal_rows(
    answers: Iterable[tuple[str, Iterable[Mapping[str, Any]]]],
    accounts: frozenset[str],
    collected_at: datetime,
) -> list[dict[str, Any]]:
    """(key, pages) answers -> cost_principal_tag_daily rows of the ``accounts`` this target stores.

    A caller without the tag (``iamPrincipal/team$``) is ``unattributed``: the account's default
    team names resources, not callers.
    """
    today = collected_at.astimezone(UTC).date()
    grouped: dict[tuple[date, str, str, str], dict[str, Any]] = {}
    for key, pages in answers:
        for page in pages:
            for result in page.get("ResultsByTime", []):
                day = date.fromisoformat(result["TimePeriod"]["Start"])
                for group in result.get("Groups", []):
                    account_id, tag_group = group["Keys"]
                    if account_id not in accounts:
                        continue
                    team = team_of(tag_group, principal_tag(key))
                    row = grouped.setdefault(
                        (day, account_id, key, team),
                        {"amount_usd": Decimal(0), "amortized_usd": None, "estimated": False},
                    )
                    metrics = group.get("Metrics", {})
                    row["amount_usd"] += Decimal(metrics["UnblendedCost"]["Amount"])
                    if "AmortizedCost" in metrics:
                        row["amortized_usd"] = (row["amortized_usd"] or Decimal(0)) + Decimal(
                            metrics["AmortizedCost"]["Amount"]
                        )
                    row["estimated"] = (
                        row["estimated"] or bool(result.get("Estimated")) or day >= today
                    )
    return [
        {
            "day": day,
            "account_id": account_id,
            "tag_key": key,
            "team": team,
            "amount_usd": values["amount_usd"].quantize(MICRO),
            "amortized_usd": None
            if values["amortized_usd"] is None
            else values["amortized_usd"].quantize(MICRO),
            "estimated": values["estimated"],
            "collected_at": collected_at,
        }
        for (day, account_id, key, team), values in sorted(grouped.items())
    ]
