"""`genai-monitor budgets`: this month's budget use and month-end projection per team."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import click

from core.budget_report import BudgetLine, Forecaster
from core.timeutil import utcnow
from monitor.cli.base import app_of
from monitor.context import AppContext


def aws_forecaster(app: AppContext) -> Forecaster:
    """AWS's forecast through the Cost Explorer collector's targets, each asked only for the
    accounts it collects (so a payer and its members never count an account twice)."""
    from collector.cost_explorer_rows import responsible_for
    from core.aws_forecast import ForecastScope, month_forecasts

    def forecast(scope: ForecastScope, today: date) -> dict[str, Decimal]:
        costs: Any = app.sources()["costs"]
        configured = frozenset(account.id for account in app.config.accounts)
        targets = [
            (
                target,
                [
                    account
                    for account in scope.accounts
                    if responsible_for(account, target, configured | {target.account_id})
                ],
            )
            for target in costs.targets(app.targets())
        ]
        return month_forecasts(app.clients, targets, app.config.attribution.tag_key, scope, today)

    return forecast


def _record(line: BudgetLine) -> dict[str, str | None]:
    """One report line as JSON: money and shares as decimal strings, days as ISO dates."""
    from monitor.export import money

    return {
        "team": line.team,
        "service": line.service,
        "budget_usd": money(line.budget_usd),
        "spent_usd": money(line.spent_usd),
        "used": None if line.used is None else str(line.used),
        "projected_usd": money(line.projected_usd),
        "projected_use": None if line.projected_use is None else str(line.projected_use),
        "crosses_on": line.crosses_on.isoformat() if line.crosses_on else None,
        "method": line.method,
    }


def _share(value: str | None) -> str:
    return f"{float(value):.0%}" if value is not None else "-"


def _table(rows: list[dict[str, str | None]]) -> list[str]:
    """The report as an aligned text table."""
    lines = [
        f"{'team':<16}{'service':<24}{'budget':>12}{'spent':>12}{'used':>8}{'projected':>12}{'proj.':>8}  {'crosses on':<11} method"
    ]
    for row in rows:
        lines.append(
            f"{row['team']:<16}{(row['service'] or '')[:23]:<24}{row['budget_usd'] or '-':>12}{row['spent_usd']:>12}{_share(row['used']):>8}"
            f"{row['projected_usd']:>12}{_share(row['projected_use']):>8}  {row['crosses_on'] or '-':<11} {row['method']}"
        )
    return lines


@click.command()
@click.option(
    "--aws-forecast",
    is_flag=True,
    help="Also ask Cost Explorer's GetCostForecast for the rest of the month ($0.01 a request, one per team and account).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def budgets(ctx: click.Context, aws_forecast: bool, fmt: str) -> None:
    """This month's budget use and month-end projection per team (budgets synced from the config)."""
    from core.budget_report import budget_report

    app = app_of(ctx)
    forecaster = aws_forecaster(app) if aws_forecast else None
    report = budget_report(app.database(), app.config, utcnow(), forecaster)
    rows = [_record(line) for line in report]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for text in _table(rows):
        click.echo(text)
