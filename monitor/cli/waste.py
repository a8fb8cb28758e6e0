"""`genai-monitor waste`: every idle or under-used resource, what it has burnt and what it costs a month."""

from __future__ import annotations

from datetime import datetime

import click

from core.queries.waste import WASTE_FIELDS, WasteScope, idle_thresholds, under_use, waste_rows
from core.timeutil import utcnow
from monitor.cli.base import app_of, output_options, parse_time, scope_options, write_export
from monitor.export import waste_record


@click.command("waste")
@click.option(
    "--at",
    callback=parse_time,
    help="Waste as of this time (ISO 8601, UTC; default: now), e.g. to see last Friday's.",
)
@scope_options
@output_options
@click.pass_context
def waste(
    ctx: click.Context,
    at: datetime | None,
    teams: tuple[str, ...],
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    fmt: str,
    path: str | None,
) -> None:
    """Every idle or under-used resource, one row each, the most expensive a month first.

    \b
    Columns: kind, resource (the ARN, as `act` takes it), name, account_id, region, team,
    idle_since, idle_hours, burnt_usd (billed while idle so far), monthly_usd (a month of
    730 hours if left running), action (what stops it). Money is a decimal string in USD
    (empty when unpriced: unknown, not zero); times are ISO 8601 UTC.

    A resource is idle once it has gone its alert rule's `for` without traffic (idle_endpoint:
    24h unless the config says otherwise). Serverless endpoints and async ones scaling to zero
    bill per use and are never waste. A busy resource is under-used when, over the config's
    `waste.window` (7d), a real-time endpoint's busiest hour fits fewer instances (at
    `waste.endpoint_invocations_per_instance_hour` each: "scale to N instances"), or a Provisioned
    Throughput is called in fewer than `waste.provisioned_busy_share` of its hours and its tokens
    would cost less on demand; its money is the excess (idle_since: the window's start).
    """
    app = app_of(ctx)
    scope = WasteScope(
        at=at or utcnow(),
        teams=list(teams) or None,
        accounts=list(accounts) or None,
        regions=list(regions) or None,
        min_idle=idle_thresholds(app.config.alerts.rules),
        under_use=under_use(app.config),
    )
    with app.database()() as session:
        rows = waste_rows(session, scope)
    write_export((waste_record(row) for row in rows), WASTE_FIELDS, fmt, path)
