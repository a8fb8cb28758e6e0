"""Alert rules: data from the config plus a pure ``evaluate(rule, snapshot) -> findings`` each."""

from __future__ import annotations

import fnmatch
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from alerts.snapshot import Snapshot
from core.settings import (
    UNATTRIBUTED,
    AlertRule,
    BudgetForecastRule,
    BudgetThresholdRule,
    IdleEndpointRule,
    SpendSpikeRule,
    StaleDataRule,
)

# An endpoint must have gone a full hour without a call before it is even pending idle.
MIN_IDLE = timedelta(hours=1)


@dataclass(frozen=True)
class Finding:
    """One subject for which a rule's condition holds now."""

    rule: str
    subject: str
    team: str
    severity: str
    message: str
    # when the condition began, from the evidence; None: when the engine first saw it
    active_since: datetime | None = None
    # the condition must have held this long before the alert fires
    hold_for: timedelta = timedelta(0)
    silenced_until: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _money(value: Decimal | None) -> str:
    return "an unknown amount" if value is None else f"${value:,.2f}"


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f}h" if hours < 72 else f"{hours / 24:.1f} days"


def _keep_alive_until(value: str | None) -> datetime | None:
    """A keep-alive tag's date (end of that day, UTC), or None if absent or unreadable."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


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
                    f"has had no invocations for {_hours(idle)}; {_money(endpoint.idle_cost_usd)} spent while idle"
                ),
                active_since=endpoint.idle_since,
                hold_for=rule.for_,
                silenced_until=_keep_alive_until(endpoint.tags.get(rule.keep_alive_tag)),
                details={
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


def budget_thresholds(rule: BudgetThresholdRule, snapshot: Snapshot) -> list[Finding]:
    """Each configured fraction of a team's budget that its spend this period has reached."""
    findings = []
    for budget in snapshot.budgets or ():
        if budget.budget_usd <= 0:
            continue
        used = budget.spent_usd / budget.budget_usd
        for threshold in sorted(rule.thresholds):
            if used < Decimal(str(threshold)):
                continue
            percent = round(threshold * 100)
            findings.append(
                Finding(
                    rule=rule.rule_name,
                    subject=f"{budget.team}/{budget.period}/{percent}%",
                    team=budget.team,
                    severity="critical" if threshold >= 1 else rule.severity,
                    message=(
                        f"team {budget.team} has spent {_money(budget.spent_usd)} of its {_money(budget.budget_usd)} "
                        f"budget for {budget.period} ({used:.0%}), past the {percent}% threshold"
                    ),
                    details={
                        "period": budget.period,
                        "threshold": threshold,
                        "spent_usd": str(budget.spent_usd),
                        "budget_usd": str(budget.budget_usd),
                    },
                )
            )
    return findings


def budget_forecasts(rule: BudgetForecastRule, snapshot: Snapshot) -> list[Finding]:
    """Teams whose projected month-end spend exceeds their budget, with the crossing date."""
    findings = []
    for budget in snapshot.budgets or ():
        if (
            budget.projected_usd is None
            or budget.budget_usd <= 0
            or budget.projected_usd <= budget.budget_usd
        ):
            continue
        when = f" on {budget.crossing_date.isoformat()}" if budget.crossing_date else ""
        findings.append(
            Finding(
                rule=rule.rule_name,
                subject=f"{budget.team}/{budget.period}",
                team=budget.team,
                severity=rule.severity,
                message=(
                    f"team {budget.team} is projected to spend {_money(budget.projected_usd)} in {budget.period}, "
                    f"over its {_money(budget.budget_usd)} budget; the budget is crossed{when}"
                ),
                details={
                    "period": budget.period,
                    "projected_usd": str(budget.projected_usd),
                    "budget_usd": str(budget.budget_usd),
                    "crossing_date": budget.crossing_date.isoformat()
                    if budget.crossing_date
                    else None,
                },
            )
        )
    return findings


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
            else f"{amount / baseline:.1f}x the {len(history)}-day median of {_money(baseline)}"
        )
        findings.append(
            Finding(
                rule=rule.rule_name,
                subject=f"{series.scope}/{series.name}/{day.isoformat()}",
                team=series.team,
                severity=rule.severity,
                message=f"{series.scope} {series.name} spent {_money(amount)} on {day.isoformat()}, {ratio}",
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


def stale_targets(rule: StaleDataRule, snapshot: Snapshot) -> list[Finding]:
    """Collector targets that have not succeeded for longer than ``for`` (the monitor watching itself)."""
    findings = []
    for target in snapshot.targets or ():
        if (
            target.last_success_at is not None
            and snapshot.now - target.last_success_at <= rule.for_
        ):
            continue
        if target.last_success_at is None and target.last_attempt_at is None:
            continue
        since = (
            "never succeeded"
            if target.last_success_at is None
            else f"last succeeded {_hours(snapshot.now - target.last_success_at)} ago"
        )
        reason = f" (last error: {target.last_error})" if target.last_error else ""
        findings.append(
            Finding(
                rule=rule.rule_name,
                subject=target.subject,
                team=UNATTRIBUTED,
                severity=rule.severity,
                message=f"{target.source} collection for {target.account_id}/{target.region} {since}{reason}",
                details={
                    "source": target.source,
                    "account_id": target.account_id,
                    "region": target.region,
                },
            )
        )
    return findings


EVALUATORS: dict[type, Callable[[Any, Snapshot], list[Finding]]] = {
    IdleEndpointRule: idle_endpoints,
    BudgetThresholdRule: budget_thresholds,
    BudgetForecastRule: budget_forecasts,
    SpendSpikeRule: spend_spikes,
    StaleDataRule: stale_targets,
}

# The snapshot part each rule needs: a rule whose data could not be read is not evaluated, so
# its open alerts are neither resolved nor re-notified by mistake.
NEEDS = {
    IdleEndpointRule: "endpoints",
    BudgetThresholdRule: "budgets",
    BudgetForecastRule: "budgets",
    SpendSpikeRule: "daily_spend",
    StaleDataRule: "targets",
}


def evaluate(rule: AlertRule, snapshot: Snapshot) -> list[Finding] | None:
    """The rule's findings, or None when the snapshot lacks the data the rule needs."""
    if getattr(snapshot, NEEDS[type(rule)]) is None:
        return None
    return EVALUATORS[type(rule)](rule, snapshot)
