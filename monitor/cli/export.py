"""`genai-monitor export`: stored data as CSV or JSON, as finance and scripts want it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from typing import Any

import click
from sqlalchemy.orm import Session

from core.pricing import InstancePriceCatalog
from core.queries.alerts import alert_rows
from core.queries.batch import batch_jobs
from core.queries.bedrock import bedrock_usage
from core.queries.billed import with_billed
from core.queries.costs import cost_lines
from core.queries.custom_models import CustomModelUsage, custom_model_usage, with_billed_models
from core.queries.endpoints import EndpointSummary, endpoint_summaries
from core.queries.principals import principal_usage
from monitor.cli.base import (
    app_of,
    output_options,
    parse_day,
    parse_time,
    require_order,
    scope_options,
    write_export,
)
from monitor.context import AppContext
from monitor.export import (
    ALERT_COLUMNS,
    BEDROCK_USAGE_COLUMNS,
    COST_COLUMNS,
    ENDPOINT_COLUMNS,
    PRINCIPAL_COLUMNS,
    alert_record,
    bedrock_usage_record,
    cost_record,
    endpoint_record,
    principal_record,
)
from monitor.export_bedrock import (
    BATCH_JOB_COLUMNS,
    CUSTOM_MODEL_COLUMNS,
    PROVISIONED_COLUMNS,
    batch_job_record,
    custom_model_record,
    provisioned_record,
    provisioned_rows,
)


@click.group()
def export() -> None:
    """Export stored data as CSV or JSON."""


def _export(
    ctx: click.Context,
    read: Callable[[Session], Iterable[Any]],
    record: Callable[[Any], dict[str, Any]],
    columns: tuple[str, ...],
    fmt: str,
    path: str | None,
) -> None:
    """Read the rows in one session and write them as export records."""
    with app_of(ctx).database()() as session:
        write_export((record(row) for row in read(session)), columns, fmt, path)


def _scoped_export(
    name: str,
    summary: str,
    start_help: str,
    end_help: str,
    query: Callable[..., Iterable[Any]],
    record_for: Callable[[AppContext], Callable[[Any], dict[str, Any]]],
    columns: tuple[str, ...],
) -> None:
    """Add an export of timed rows filtered by --team, --account and --region."""

    @export.command(name, help=summary)
    @click.option("--start", callback=parse_time, help=start_help)
    @click.option("--end", callback=parse_time, help=end_help)
    @scope_options
    @output_options
    @click.pass_context
    def command(
        ctx: click.Context,
        start: datetime | None,
        end: datetime | None,
        teams: tuple[str, ...],
        accounts: tuple[str, ...],
        regions: tuple[str, ...],
        fmt: str,
        path: str | None,
    ) -> None:
        require_order(start, end)
        scope = (list(teams), list(accounts), list(regions))
        record = record_for(app_of(ctx))
        _export(ctx, lambda session: query(session, start, end, *scope), record, columns, fmt, path)


def endpoints_billed(
    session: Session, start: datetime | None, end: datetime | None, *scope: Any
) -> list[EndpointSummary]:
    """The endpoints with their estimated cost and, where CUR has lines for them, billed cost."""
    return with_billed(session, endpoint_summaries(session, start, end, *scope), start, end)


def custom_models_billed(
    session: Session, start: datetime | None, end: datetime | None, *scope: Any
) -> list[CustomModelUsage]:
    """Custom and imported models and deployments: traffic, its estimate, and the billed cost."""
    catalog = app_of(click.get_current_context()).catalog
    usages = custom_model_usage(session, catalog, start, end, *(list(s) or None for s in scope))
    return with_billed_models(session, usages, start, end)


_scoped_export(
    "bedrock-usage",
    "Hourly Bedrock usage per model, account, region and team, with estimated cost "
    "(price_source/price_as_of: the price the row was estimated with; for rows stored before "
    "prices were recorded, the model's price in the current catalog).",
    "First hour to include (ISO 8601, UTC).",
    "Hours before this time are included.",
    bedrock_usage,
    lambda app: partial(bedrock_usage_record, catalog=app.catalog),
    BEDROCK_USAGE_COLUMNS,
)
_scoped_export(
    "endpoints",
    "SageMaker endpoints: uptime, invocations, idle hours and estimated cost (default: everything "
    "stored; price_source/price_as_of: the instance types' prices in the current catalog), and "
    "the billed cost CUR 2.0 gives the endpoint's ARN over the same days (billed_source: cur).",
    "Sum hours, invocations and cost from this hour (ISO 8601, UTC).",
    "Sum up to this time; idle hours are the idle streak as of it.",
    endpoints_billed,
    lambda app: partial(endpoint_record, catalog=InstancePriceCatalog.load()),
    ENDPOINT_COLUMNS,
)

_scoped_export(
    "principals",
    "Hourly Bedrock usage per IAM principal, model and configured request-metadata values "
    "(metadata: their JSON, {} when none), read from the model invocation logs (source: s3 or "
    "cloudwatch_logs), with the team its attribution rule gave and the estimated cost.",
    "First hour to include (ISO 8601, UTC).",
    "Hours before this time are included.",
    principal_usage,
    lambda _app: principal_record,
    PRINCIPAL_COLUMNS,
)
_scoped_export(
    "batch-jobs",
    "Bedrock batch inference jobs, apart from on-demand: records, tokens, cost at the batch rate, "
    "the same tokens at the on-demand rate, and the saving.",
    "Jobs submitted from this time (ISO 8601, UTC).",
    "Jobs submitted before this time.",
    batch_jobs,
    lambda _app: batch_job_record,
    BATCH_JOB_COLUMNS,
)
_scoped_export(
    "custom-models",
    "Bedrock custom and imported models and custom model deployments: on-demand traffic under "
    "their ARN, its estimate (None for an imported model: billed per Custom Model Unit-minute), "
    "and the billed cost CUR 2.0 gives the ARN over the same days (billed_source: cur).",
    "Sum traffic and bill from this time (ISO 8601, UTC).",
    "Sum traffic and bill before this time.",
    custom_models_billed,
    lambda _app: custom_model_record,
    CUSTOM_MODEL_COLUMNS,
)
_scoped_export(
    "provisioned-throughput",
    "Bedrock Provisioned Throughputs: model units, commitment, traffic, cost, and the idle streak "
    "with what it burnt (hourly/monthly: at today's price), and the billed cost CUR 2.0 gives the "
    "PT's ARN over the same days (billed_source: cur).",
    "Include PTs that existed after this time (ISO 8601, UTC).",
    "The time the idle streaks and totals are taken at (default: now).",
    provisioned_rows,
    lambda _app: provisioned_record,
    PROVISIONED_COLUMNS,
)


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
    scope = (list(teams), list(accounts), list(services))
    _export(
        ctx,
        lambda session: cost_lines(session, start, end, *scope),
        cost_record,
        COST_COLUMNS,
        fmt,
        path,
    )


@export.command("alerts")
@click.option(
    "--start", callback=parse_time, help="Alerts opened at or after this time (ISO 8601, UTC)."
)
@click.option("--end", callback=parse_time, help="Alerts opened before this time.")
@click.option(
    "--inhibited",
    is_flag=True,
    help="Also the alerts inhibited by a higher one (e.g. 50% of a budget under its 100%).",
)
@output_options
@click.pass_context
def export_alerts(
    ctx: click.Context,
    start: datetime | None,
    end: datetime | None,
    inhibited: bool,
    fmt: str,
    path: str | None,
) -> None:
    """Alert episodes with their state and when they were notified and resolved."""
    require_order(start, end)
    _export(
        ctx,
        lambda session: alert_rows(session, None, start, end, inhibited=inhibited),
        alert_record,
        ALERT_COLUMNS,
        fmt,
        path,
    )


def parse_month_option(ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    """Option callback: --month YYYY-MM, a month already begun (default: the last complete one)."""
    from core.queries.billing import parse_month, previous_month
    from core.timeutil import utcnow

    today = utcnow().date()
    if value is None:
        return previous_month(today)
    try:
        return parse_month(value, today)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@export.command("focus")
@click.option(
    "--month",
    callback=parse_month_option,
    help="Billing period, YYYY-MM (default: the last complete month).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True
)
@click.option("-o", "--output", "path", help="Write to this file (parquet: required).")
@click.pass_context
def export_focus(ctx: click.Context, month: str, fmt: str, path: str | None) -> None:
    """A month's billed GenAI lines in the FinOps FOCUS 1.2 column set (x_ columns: team, model,
    tokens, source), validated against the column list; CUR 2.0 lines when the month has them,
    else Cost Explorer's."""
    from monitor.cli.base import Failure
    from monitor.focus import FocusError, focus_export, write

    if fmt == "parquet" and (path is None or path == "-"):
        raise click.UsageError("--format parquet needs -o FILE")
    app = app_of(ctx)
    with app.database()() as session:
        found = focus_export(session, month, app.config)
    click.echo(found.describe(), err=True)
    try:
        write(found, fmt, path, sys.stdout)
    except FocusError as exc:
        raise Failure(str(exc)) from None
    if path and path != "-":
        click.echo(f"wrote {len(found.records)} row(s) to {path}", err=True)
