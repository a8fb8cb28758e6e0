"""Spend spikes: a day of a team's or model's spend far above its own recent median."""

from __future__ import annotations

import statistics
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from alerts.rules.base import Finding, money
from alerts.snapshot import Snapshot
from core.registry import RuleEntry, rules
from core.settings import Duration, Number, RuleSettings


class SpendSpikeRule(RuleSettings):
    """`{kind: spend_spike}`: the newest day over ``factor`` x the median of the days before."""

    kind: Literal["spend_spike"]
    factor: Number = Field(default=3.0, gt=1)
    baseline_days: int = Field(default=14, ge=3, le=3650)
    # a spike must also be this many dollars above the baseline, so $0.01 -> $0.05 stays quiet
    min_increase_usd: Number = Field(default=20, ge=0)
    repeat_interval: Duration | None = timedelta(0)


def spend_spikes(rule: SpendSpikeRule, snapshot: Snapshot) -> list[Finding]:
    """The newest complete day of a series far above the median of the ``baseline_days`` before it.

    A spike is a day whose spend exceeds ``factor`` x the baseline median and is also at least
    ``min_increase_usd`` above it; the median ignores one-off spikes in the baseline itself.
    """
    findings = []
    for series in snapshot.daily_spend or ():
        if len(series.days) < 2:
            continue
        day, amount = series.days[-1]
        history = [value for _day, value in series.days[-1 - rule.baseline_days : -1]]
        if len(history) < min(3, rule.baseline_days):
            continue
        baseline = Decimal(str(statistics.median(history)))
        if amount <= baseline * Decimal(str(rule.factor)) or amount - baseline < Decimal(
            str(rule.min_increase_usd)
        ):
            continue
        ratio = (
            "from nothing"
            if baseline == 0
            else f"{amount / baseline:.1f}x the {len(history)}-day median of {money(baseline)}"
        )
        findings.append(
            Finding(
                rule=rule.rule_name,
                subject=f"{series.scope}/{series.name}/{day.isoformat()}",
                team=series.team,
                severity=rule.severity,
                message=f"{series.scope} {series.name} spent {money(amount)} on {day.isoformat()}, {ratio}",
                details={
                    "day": day.isoformat(),
                    "amount_usd": str(amount),
                    "baseline_usd": str(baseline),
                    "scope": series.scope,
                    "name": series.name,
                },
            )
        )
    return findings


rules.add(RuleEntry("spend_spike", SpendSpikeRule, spend_spikes, needs="daily_spend", order=40))
