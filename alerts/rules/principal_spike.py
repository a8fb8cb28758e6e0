"""Principal spikes: one IAM principal's hourly spend far above its own usual hour (an agent in a
loop overnight), read from the invocation logs within the hour."""

from __future__ import annotations

import statistics
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from alerts.rules.base import Finding, money
from alerts.snapshot import PrincipalHour, PrincipalSpend, Snapshot
from core.registry import RuleEntry, rules
from core.settings import Duration, Number, RuleSettings
from core.timeutil import floor_hour

HOUR = timedelta(hours=1)


class PrincipalSpikeRule(RuleSettings):
    """`{kind: principal_spike, factor: 5}`: a recent hour of a principal over ``factor`` x its
    median hour (of the hours it called Bedrock) in the ``baseline`` before."""

    kind: Literal["principal_spike"]
    factor: Number = Field(default=5.0, gt=1)
    # the history a principal's usual hour is taken from (ending where the judged hours begin)
    baseline: Duration = timedelta(days=7)
    # the newest hours judged: the hour in progress and the one before (its last logs come late)
    window: Duration = timedelta(hours=2)
    # hours with calls the baseline needs; a principal with fewer is new (see new_principal_usd)
    min_baseline_hours: int = Field(default=3, ge=1, strict=True)
    # an hour must also cost this much, so $0.01 -> $0.10 stays quiet
    min_hourly_usd: Number = Field(default=5, ge=0)
    # a new principal (no baseline) fires when an hour costs this much; absent: never judged
    new_principal_usd: Number | None = Field(default=None, gt=0)
    repeat_interval: Duration | None = timedelta(0)  # once per episode

    @property
    def span(self) -> timedelta:
        """How much hourly history the rule reads: the baseline and the judged hours."""
        return self.baseline + self.window


def _spiking(
    rule: PrincipalSpikeRule, recent: list[PrincipalHour], baseline: Decimal | None
) -> list[PrincipalHour]:
    """The judged hours over the threshold: factor x the baseline, or the new-principal amount."""
    floor = Decimal(str(rule.min_hourly_usd))
    if baseline is None:
        if rule.new_principal_usd is None:
            return []
        floor = max(floor, Decimal(str(rule.new_principal_usd)))
        return [hour for hour in recent if hour.cost_usd >= floor]
    limit = baseline * Decimal(str(rule.factor))
    return [hour for hour in recent if hour.cost_usd >= floor and hour.cost_usd > limit]


def _finding(
    rule: PrincipalSpikeRule,
    spend: PrincipalSpend,
    spikes: list[PrincipalHour],
    baseline: Decimal | None,
    history: int,
) -> Finding:
    worst = spikes[-1]  # the newest spiking hour: what is happening now
    model, model_usd = worst.models[0]
    when = worst.hour.strftime("%Y-%m-%d %H:00 UTC")
    if baseline is None:
        usual = f"a new principal with no baseline (fewer than {rule.min_baseline_hours} hours of calls)"
    elif baseline == 0:
        usual = f"up from its median hour of {money(baseline)}"
    else:
        usual = f"{worst.cost_usd / baseline:.1f}x its median hour of {money(baseline)} over {history} hours with calls"
    return Finding(
        rule=rule.rule_name,
        subject=spend.principal,
        team=spend.team,
        severity=rule.severity,
        message=(
            f"principal {spend.principal} spent {money(worst.cost_usd)} in the hour of {when}, "
            f"{usual}; most on {model} ({money(model_usd)})"
        ),
        active_since=spikes[0].hour,
        details={
            "principal": spend.principal,
            "hour": worst.hour.isoformat(),
            "model_id": model,
            "amount_usd": str(worst.cost_usd),
            "baseline_usd": None if baseline is None else str(baseline),
            "models": {name: str(usd) for name, usd in worst.models},
        },
    )


def principal_spikes(rule: PrincipalSpikeRule, snapshot: Snapshot) -> list[Finding]:
    """Principals with a judged hour over ``factor`` x the median of their hours with calls in the baseline.

    The median of the hours with calls (not of every hour) keeps a principal that works by day
    quiet by day; a steady principal, however large, never exceeds its own median ``factor`` times.
    """
    judged_from = floor_hour(snapshot.now) + HOUR - rule.window
    baseline_from = judged_from - rule.baseline
    findings = []
    for spend in snapshot.principal_spend or ():
        history = [h.cost_usd for h in spend.hours if baseline_from <= h.hour < judged_from]
        recent = [h for h in spend.hours if judged_from <= h.hour <= snapshot.now]
        baseline = (
            Decimal(str(statistics.median(history)))
            if len(history) >= rule.min_baseline_hours
            else None
        )
        spikes = _spiking(rule, recent, baseline)
        if spikes:
            findings.append(_finding(rule, spend, spikes, baseline, len(history)))
    return findings


rules.add(
    RuleEntry(
        "principal_spike", PrincipalSpikeRule, principal_spikes, needs="principal_spend", order=45
    )
)
