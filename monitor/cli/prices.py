"""`genai-monitor prices`: read the AWS Price List, re-price stored estimates on request (`prices show`
explains one item: monitor/cli/prices_show.py)."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from monitor.cli.base import app_of, parse_time


@click.group("prices")
def prices() -> None:
    """Explain and maintain the prices the estimates use: the AWS Price List as dated price points,
    re-pricing stored estimates, what one item costs."""


@prices.command("refresh")
@click.pass_context
def refresh_command(ctx: click.Context) -> None:
    """Read the AWS Price List (GetProducts, us-east-1) and store its prices as dated points.

    Reads AmazonSageMaker, AmazonBedrock, AmazonBedrockService and
    AmazonBedrockFoundationModels; prints `N products, M price points stored (K new)` and the
    SKU of every malformed product it skipped. Running it twice changes nothing; a new price
    on a new effective date is added and the old one kept. Stored estimates are not re-priced:
    see `prices reprice`. A denied or unreachable Price List prints one warning and exits 1;
    the shipped prices stay in use.
    """
    from monitor.prices import PriceListUnavailable, refresh_prices

    try:
        report = refresh_prices(app_of(ctx))
    except PriceListUnavailable as exc:
        click.echo(f"genai-monitor: warning: {exc}", err=True)
        ctx.exit(1)
    click.echo(report.summary())


@prices.command("reprice")
@click.option(
    "--since",
    required=True,
    callback=parse_time,
    help="First hour to re-price (ISO date/time, UTC).",
)
@click.option("--until", callback=parse_time, help="Re-price hours before this (default: all).")
@click.pass_context
def reprice_command(ctx: click.Context, since: datetime, until: datetime | None) -> None:
    """Re-price stored Bedrock usage estimates from --since with the price in force in each hour.

    Precedence: config overrides, then Price List points in force at the hour, then the shipped
    catalog. Prints the rows changed and the dollar difference; a progress bar on a terminal.
    """
    from core.pricing.reprice import count_rows
    from monitor.prices import reprice

    if until is not None and until <= since:
        raise click.UsageError("--until must be after --since")
    app = app_of(ctx)
    if sys.stderr.isatty():
        with app.database().begin() as session:
            total = count_rows(session, since, until)
        with click.progressbar(length=total, label="re-pricing", file=sys.stderr) as bar:
            report = reprice(app, since, until, bar.update)
    else:
        report = reprice(app, since, until)
    click.echo(
        f"{report.rows} rows read, {report.changed} re-priced, "
        f"difference {report.difference:+.6f} USD"
    )
