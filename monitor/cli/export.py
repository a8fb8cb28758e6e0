"""`genai-monitor export`: stored data as CSV or JSON, as finance and scripts want it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from core.queries import alert_rows, bedrock_usage, cost_lines, endpoint_summaries
from monitor.cli.base import (
    app_of,
    output_options,
    parse_day,
    parse_time,
    require_order,
    scope_options,
    write_export,
)
from monitor.export import (
    ALERT_COLUMNS,
    BEDROCK_USAGE_COLUMNS,
    COST_COLUMNS,
    ENDPOINT_COLUMNS,
    alert_record,
    bedrock_usage_record,
    cost_record,
    endpoint_record,
)


@click.group()
def export() -> None:
    """Export stored data as CSV or JSON."""


@export.command("bedrock-usage")
@click.option("--start", callback=parse_time, help="First hour to include (ISO 8601, UTC).")
@click.option("--end", callback=parse_time, help="Hours before this time are included.")
@scope_options
@output_options
@click.pass_context
def export_bedrock_usage(
    ctx: click.Context,
    start: datetime | None,
    end: datetime | None,
    teams: tuple[str, ...],
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    fmt: str,
    path: str | None,
) -> None:
    """Hourly Bedrock usage per model, account, region and team, with estimated cost."""
    require_order(start, end)
    sessions = app_of(ctx).database()
    with sessions() as session:
        rows = bedrock_usage(session, start, end, list(teams), list(accounts), list(regions))
        write_export((bedrock_usage_record(row) for row in rows), BEDROCK_USAGE_COLUMNS, fmt, path)


@export.command("endpoints")
@click.option(
    "--start",
    callback=parse_time,
    help="Sum hours, invocations and cost from this hour (ISO 8601, UTC).",
)
@click.option(
    "--end",
    callback=parse_time,
    help="Sum up to this time; idle hours are the idle streak as of it.",
)
@scope_options
@output_options
@click.pass_context
def export_endpoints(
    ctx: click.Context,
    start: datetime | None,
    end: datetime | None,
    teams: tuple[str, ...],
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    fmt: str,
    path: str | None,
) -> None:
    """SageMaker endpoints: uptime, invocations, idle hours and estimated cost (default: everything stored)."""
    require_order(start, end)
    sessions = app_of(ctx).database()
    with sessions() as session:
        rows = endpoint_summaries(session, start, end, list(teams), list(accounts), list(regions))
        write_export((endpoint_record(row) for row in rows), ENDPOINT_COLUMNS, fmt, path)


@export.command("costs")
@click.option("--start", callback=parse_day, help="First day to include (YYYY-MM-DD, UTC).")
@click.option(
    "--end", callback=parse_day, help="Days before this day are included (YYYY-MM-DD, UTC)."
)
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")
@click.option("--account", "accounts", multiple=True, help="Only this account id (repeatable).")
@click.option(
    "--service", "services", multiple=True, help="Only this Cost Explorer service (repeatable)."
)
@output_options
@click.pass_context
def export_costs(
    ctx: click.Context,
    start: Any,
    end: Any,
    teams: tuple[str, ...],
    accounts: tuple[str, ...],
    services: tuple[str, ...],
    fmt: str,
    path: str | None,
) -> None:
    """Billed GenAI spend from Cost Explorer per day, account, service, usage group and team."""
    require_order(start, end)
    sessions = app_of(ctx).database()
    with sessions() as session:
        rows = cost_lines(session, start, end, list(teams), list(accounts), list(services))
        write_export((cost_record(row) for row in rows), COST_COLUMNS, fmt, path)


@export.command("alerts")
@click.option(
    "--start", callback=parse_time, help="Alerts opened at or after this time (ISO 8601, UTC)."
)
@click.option("--end", callback=parse_time, help="Alerts opened before this time.")
@output_options
@click.pass_context
def export_alerts(
    ctx: click.Context, start: datetime | None, end: datetime | None, fmt: str, path: str | None
) -> None:
    """Alert episodes with their state and when they were notified and resolved."""
    sessions = app_of(ctx).database()
    with sessions() as session:
        write_export(
            (alert_record(a) for a in alert_rows(session, None, start, end)),
            ALERT_COLUMNS,
            fmt,
            path,
        )
