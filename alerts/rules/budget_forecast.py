"""Budget forecasts: a team projected to end the month over its budget."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from alerts.rules.base import Finding, money
from alerts.snapshot import Snapshot
from core.registry import RuleEntry, rules
from core.settings import Duration, RuleSettings


class BudgetForecastRule(RuleSettings):
    """`{kind: budget_forecast}`: fires while the month-end projection is over budget."""

    kind: Literal["budget_forecast"]
    repeat_interval: Duration | None = timedelta(days=1)


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
                subject=f"{budget.key}/{budget.period}",
                team=budget.team,
                severity=rule.severity,
                message=(
                    f"{budget.label} is projected to spend {money(budget.projected_usd)} in {budget.period}, "
                    f"over its {money(budget.budget_usd)} budget; the budget is crossed{when}"
                ),
                details={
                    "period": budget.period,
                    "projected_usd": str(budget.projected_usd),
                    "budget_usd": str(budget.budget_usd),
                    "crossing_date": budget.crossing_date.isoformat()
                    if budget.crossing_date
                    else None,
                    **budget.routing(),
                },
            )
        )
    return findings


rules.add(
    RuleEntry("budget_forecast", BudgetForecastRule, budget_forecasts, needs="budgets", order=30)
)
