"""Budget thresholds: each configured fraction of a team's budget its spend has reached."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from alerts.rules.base import Finding, money
from alerts.snapshot import Snapshot
from core.registry import RuleEntry, rules
from core.settings import Duration, Number, RuleSettings


class BudgetThresholdRule(RuleSettings):
    """`{kind: budget_threshold}`: once per period for each fraction of the budget reached.

    The highest threshold reached stands: it inhibits the lower ones of the same team and
    period, which stay in the history without being shown or told again.
    """

    kind: Literal["budget_threshold"]
    thresholds: list[Annotated[Number, Field(gt=0)]] = Field(
        default_factory=lambda: [0.5, 0.8, 1.0]
    )
    repeat_interval: Duration | None = timedelta(0)  # each threshold is told once per period
    notify_resolved: bool = False


def budget_thresholds(rule: BudgetThresholdRule, snapshot: Snapshot) -> list[Finding]:
    """Each configured fraction of a budget (a team's, or a `budgets:` entry's) its spend this period has reached."""
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
                    subject=f"{budget.key}/{budget.period}/{percent}%",
                    team=budget.team,
                    severity="critical" if threshold >= 1 else rule.severity,
                    message=(
                        f"{budget.label} has spent {money(budget.spent_usd)} of its {money(budget.budget_usd)} "
                        f"budget for {budget.period} ({used:.0%}), past the {percent}% threshold"
                    ),
                    details={
                        "period": budget.period,
                        "threshold": threshold,
                        "spent_usd": str(budget.spent_usd),
                        "budget_usd": str(budget.budget_usd),
                        **budget.routing(),
                    },
                    inhibit_group=f"{budget.key}/{budget.period}",
                    rank=threshold,
                )
            )
    return findings


rules.add(
    RuleEntry("budget_threshold", BudgetThresholdRule, budget_thresholds, needs="budgets", order=20)
)
