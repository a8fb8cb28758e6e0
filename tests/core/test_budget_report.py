"""The budget report: its pure lines and forecast scope, and the whole report on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core.aws_forecast import ForecastScope
from core.budget_report import budget_report, forecast_scope, report_lines
from core.models import CostDaily
from core.projection import project_month
from core.queries.budgets import BudgetUse
from core.settings import parse_config

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
TODAY = NOW.date()
ACCOUNT, MEMBER = "123456789012", "222222222222"
BEDROCK, SAGEMAKER = "Amazon Bedrock", "Amazon SageMaker"
CONFIG = parse_config("teams: [{name: search, monthly_budget_usd: 1000}, {name: lab}]", "test.yaml")


def daily(amount: str) -> dict[date, Decimal]:
    """The same spend on every day of November before today."""
    return {date(2026, 11, day): Decimal(amount) for day in range(1, TODAY.day)}


def test_budgets_come_first_then_teams_without_a_budget_that_spend():
    budgeted = project_month(daily("60"), TODAY, Decimal(1000))
    use = BudgetUse("search", "all", "2026-11", Decimal(1000), budgeted)
    projections = {
        "search": budgeted,
        "support": project_month(daily("10"), TODAY),
        "lab": project_month({}, TODAY),  # nothing spent, nothing projected: left out
    }
    lines = report_lines([use], projections)
    assert [(line.team, line.service, line.budget_usd) for line in lines] == [
        ("search", "all", Decimal(1000)),
        ("support", "all", None),
    ]
    search, support = lines
    assert (search.spent_usd, search.used, search.projected_use) == (
        Decimal("1140.00"),
        Decimal("1.14"),
        use.projected_use,
    )
    assert search.crosses_on == budgeted.crosses_on is not None
    assert (support.used, support.projected_use, support.crosses_on) == (None, None, None)
    assert support.spent_usd == Decimal("190.00") and support.method == "trend"


def line(team: str, account: str, service: str, day: date, amount: str) -> CostDaily:
    return CostDaily(
        day=day,
        account_id=account,
        service=service,
        usage_group="input_tokens",
        team=team,
        amount_usd=Decimal(amount),
        amortized_usd=None,
        estimated=False,
        collected_at=NOW,
    )


def test_the_forecast_scope_is_the_lines_teams_accounts_and_services_and_the_configured_teams():
    lines = [
        line("search", MEMBER, BEDROCK, TODAY, "1"),
        line("unattributed", ACCOUNT, SAGEMAKER, TODAY, "2"),
        line("search", ACCOUNT, BEDROCK, TODAY, "3"),
    ]
    assert forecast_scope(lines, ["lab", "search"]) == ForecastScope(
        teams=("lab", "search", "unattributed"),
        accounts=(ACCOUNT, MEMBER),
        services=(BEDROCK, SAGEMAKER),
    )


def test_the_report_syncs_the_budgets_and_uses_the_aws_forecast_where_given(sessions):
    with sessions.begin() as session:
        for day in range(1, TODAY.day):
            session.add(line("search", ACCOUNT, BEDROCK, date(2026, 11, day), "10"))
        session.add(line("research", ACCOUNT, SAGEMAKER, TODAY - timedelta(days=40), "5"))
    asked: list[tuple[ForecastScope, date]] = []

    def forecaster(scope: ForecastScope, today: date) -> dict[str, Decimal]:
        asked.append((scope, today))
        return {"search": Decimal(500)}

    own = budget_report(sessions, CONFIG, NOW)
    assert [(r.team, r.service, r.budget_usd, r.method) for r in own] == [
        ("search", "all", Decimal("1000.000000"), "trend")
    ]
    forecast = budget_report(sessions, CONFIG, NOW, forecaster)
    # only this month's lines are in the scope: research spent in September
    assert asked == [(ForecastScope(("lab", "search"), (ACCOUNT,), (BEDROCK,)), TODAY)]
    [search] = forecast
    assert (search.method, search.spent_usd, search.projected_usd) == (
        "aws-forecast",
        Decimal("190.00"),
        Decimal("690.00"),
    )


def test_the_report_ends_with_the_principal_and_project_budgets_from_the_estimate(sessions):
    from tests.alerts.principal_rows import role, store, usage_row

    config = parse_config(
        """
attribution: {request_metadata_keys: [project]}
budgets:
  - {name: checkout, monthly_budget_usd: 300, request_metadata: {project: checkout}}
  - {name: agents, monthly_budget_usd: 50, principals: ["*:role/agent-*"]}
""",
        "t.yaml",
    )
    store(
        sessions,
        [
            usage_row(
                datetime(2026, 11, day, 12, tzinfo=UTC),
                role("agent-1"),
                "10",
                metadata={"project": "checkout"},
            )
            for day in range(1, TODAY.day)
        ],
    )
    lines = budget_report(sessions, config, NOW)
    assert [(r.team, r.budget_usd, r.spent_usd, r.used) for r in lines] == [
        ("budget/checkout", Decimal("300"), Decimal("190"), Decimal("0.6333")),
        ("budget/agents", Decimal("50"), Decimal("190"), Decimal("3.8")),
    ]
    assert all(r.method.endswith("invocation-log estimate") for r in lines)
