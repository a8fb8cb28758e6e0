"""Effective rates from the bill: Cost Explorer cost / usage quantity per (usage type, region,
day). They carry private-pricing and enterprise discounts that no price list shows.

A Bedrock token usage type (``USE1-Claude3.5Sonnet-v2-input-tokens``) names a region, a model
and a token kind; ``usage_model_key`` and ``model_key`` reduce the usage type and a Bedrock
model id to the same key, so the bill's rates can price the token metrics.

Service tiers and routing scopes with prices of their own bill under usage types of their own
(``...-input-tokens-flex``, ``-priority``, ``-batch``, ``-cross-region-global``; Marketplace
``..._InputTokenCount_Global-Units``): their kind carries the tier (``flex_input``,
``global_output``...) so each keeps its own rate and the standard tier's rate stays the
standard's. The CloudWatch token metrics do not tell tiers apart: estimates use the standard
on-demand kinds (``input``, ``output``...).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import CostUsageDaily
from core.queries.common import as_day, between, usd

# Cost Explorer's region prefixes of usage types; a usage type without one is us-east-1's.
REGION_PREFIXES = {
    "USE1": "us-east-1",
    "USE2": "us-east-2",
    "USW1": "us-west-1",
    "USW2": "us-west-2",
    "CAN1": "ca-central-1",
    "EU": "eu-west-1",
    "EUW2": "eu-west-2",
    "EUW3": "eu-west-3",
    "EUC1": "eu-central-1",
    "EUC2": "eu-central-2",
    "EUN1": "eu-north-1",
    "EUS1": "eu-south-1",
    "APN1": "ap-northeast-1",
    "APN2": "ap-northeast-2",
    "APN3": "ap-northeast-3",
    "APS1": "ap-southeast-1",
    "APS2": "ap-southeast-2",
    "APS3": "ap-south-1",
    "SAE1": "sa-east-1",
    "UGW1": "us-gov-west-1",
    "UGE1": "us-gov-east-1",
}
# token kind -> usage type suffix; the longest suffixes are tried first
TOKEN_SUFFIXES = {
    "cache_read": "-cache-read-input-tokens",
    "cache_write": "-cache-write-input-tokens",
    "input": "-input-tokens",
    "output": "-output-tokens",
}
# Marketplace models bill under their own service with usage types like
# ``USE1-MP:USE1_InputTokenCount-Units``: the service names the model, the unit the kind
MARKETPLACE_KINDS = {
    "CacheReadInputTokenCount": "cache_read",
    "CacheWriteInputTokenCount": "cache_write",
    "InputTokenCount": "input",
    "OutputTokenCount": "output",
}
# usage type endings after the token kind -> the tier its kind is kept apart under; a
# geographic profile (``-cross-region-geo``) bills at the in-region rate: no tier of its own
TIER_SUFFIXES = {
    "-flex": "flex",
    "-priority": "priority",
    "-batch": "batch",
    "-cross-region-global": "global",
    "-cross-region-geo": "",
}
MARKETPLACE_EDITION = re.compile(r"\s*\(Amazon Bedrock Edition\)\s*$")
# UsageQuantity units of token usage types -> tokens per unit
TOKENS_PER_UNIT = {"tokens": 1, "1k tokens": 1000, "1m tokens": 1_000_000}


def effective_rate(cost: Decimal, quantity: Decimal | None) -> Decimal | None:
    """USD per unit of usage: cost / quantity; None when nothing was used (no rate to tell)."""
    if quantity is None or quantity == 0:
        return None
    return cost / quantity


def usage_region(usage_type: str) -> str:
    """The region a usage type bills in, from its prefix (none: us-east-1)."""
    prefix, _, rest = usage_type.partition("-")
    return REGION_PREFIXES.get(prefix, "us-east-1") if rest else "us-east-1"


def _key(text: str) -> str:
    text = re.sub(r"-v1$|-instruct", "", text.lower())
    return re.sub(r"[^a-z0-9]", "", text)


def _tier(name: str) -> tuple[str, str]:
    """A usage type name without its tier ending, and the tier's kind prefix (``flex_``, or "")."""
    for end, tier in TIER_SUFFIXES.items():
        if name.endswith(end):
            return name[: -len(end)], f"{tier}_" if tier else ""
    return name, ""


def usage_model_key(service: str, usage_type: str) -> tuple[str, str] | None:
    """(model key, token kind) of a Bedrock token usage type, or None for any other usage type."""
    if MARKETPLACE_EDITION.search(service):
        for unit, kind in MARKETPLACE_KINDS.items():
            if f"_{unit}" in usage_type:
                scope = "global_" if f"_{unit}_Global" in usage_type else ""
                return _key(MARKETPLACE_EDITION.sub("", service)), f"{scope}{kind}"
        return None
    prefix, _, rest = usage_type.partition("-")
    name = rest if prefix in REGION_PREFIXES else usage_type
    name, tier = _tier(name)
    for kind, suffix in TOKEN_SUFFIXES.items():
        if name.endswith(suffix):
            return _key(name[: -len(suffix)]), f"{tier}{kind}"
    return None


@lru_cache(maxsize=4096)
def model_key(base_model_id: str) -> str:
    """The key of a Bedrock foundation model id, as ``usage_model_key`` reduces usage types."""
    name = base_model_id.rsplit("/", 1)[-1].split(".", 1)[-1]  # drop any ARN and the provider
    name = re.sub(r":\d+$", "", name)
    name = re.sub(r"-\d{8}|-\d{4}(?=-v\d+$)", "", name)  # release dates: 20241022, 2502
    return _key(name)


@dataclass(frozen=True)
class EffectiveRate:
    """One usage type's day over every account and team: cost, quantity and their ratio."""

    day: date
    service: str
    usage_type: str
    region: str
    cost_usd: Decimal
    quantity: Decimal | None
    unit: str | None
    rate: Decimal | None  # USD per ``unit``


def effective_rates(session: Session, start: date, end: date) -> list[EffectiveRate]:
    """The effective rate of every usage type on each day in [start, end), oldest first."""
    line = CostUsageDaily
    statement = (
        select(
            line.day,
            line.service,
            line.usage_type,
            func.sum(line.amount_usd),
            func.sum(line.usage_quantity),
            func.max(line.unit),
        )
        .where(*between(line.day, start, end))
        .group_by(line.day, line.service, line.usage_type)
    )
    rates = []
    for day, service, usage_type, cost, quantity, unit in session.execute(statement):
        amount = usd(cost)
        used = None if quantity is None else Decimal(quantity)
        rates.append(
            EffectiveRate(
                as_day(day),
                service,
                usage_type,
                usage_region(usage_type),
                amount,
                used,
                unit,
                effective_rate(amount, used),
            )
        )
    return sorted(rates, key=lambda r: (r.day, r.service, r.usage_type))


class TokenRates:
    """USD per token of each (model key, region, token kind) by day, from the bill's effective
    rates; a day without one takes the latest earlier day's (hours the bill does not cover yet)."""

    def __init__(self, rates: list[EffectiveRate]) -> None:
        self._days: dict[tuple[str, str, str], list[date]] = {}
        self._rates: dict[tuple[str, str, str], list[Decimal]] = {}
        for rate in sorted(rates, key=lambda r: r.day):
            parsed = usage_model_key(rate.service, rate.usage_type)
            per_unit = TOKENS_PER_UNIT.get((rate.unit or "").lower())
            if parsed is None or rate.rate is None or per_unit is None:
                continue
            key = (parsed[0], rate.region, parsed[1])
            self._days.setdefault(key, []).append(rate.day)
            self._rates.setdefault(key, []).append(rate.rate / per_unit)
        self._any_days = sorted({day for days in self._days.values() for day in days})

    def latest_day(self, day: date) -> date | None:
        """The latest day up to ``day`` the bill gave any token rate on, or None."""
        index = bisect_right(self._any_days, day)
        return self._any_days[index - 1] if index else None

    def per_token(self, base_model_id: str, region: str, kind: str, day: date) -> Decimal | None:
        """USD per token on a day, or None when the bill has no rate for it up to that day."""
        key = (model_key(base_model_id), region, kind)
        days = self._days.get(key, [])
        index = bisect_right(days, day)
        return self._rates[key][index - 1] if index else None
