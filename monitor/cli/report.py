"""`genai-monitor report weekly`: the managers' weekly digest, written out or e-mailed."""

from __future__ import annotations

from pathlib import Path

import click

from core.queries.waste import idle_thresholds, under_use
from core.timeutil import utcnow
from monitor.cli.base import BadConfig, Failure, app_of


def _write(html: str, what: str, path: str | None, send: bool) -> None:
    """The report to the file, else to standard output unless it is only e-mailed."""
    if path and path != "-":
        Path(path).write_text(html, encoding="utf-8")
        click.echo(f"wrote the {what} to {path}", err=True)
    elif not send or path == "-":
        click.echo(html, nl=False)


@click.group()
def report() -> None:
    """Reports for people: the managers' weekly digest, the month-end chargeback statement."""


@report.command("weekly")
@click.option("--week", help="ISO week, e.g. 2026-W07 (default: the last complete week).")
@click.option(
    "-o",
    "--output",
    "path",
    help="Write the HTML digest to this file (default: standard output, unless --email).",
)
@click.option(
    "--email",
    "send",
    is_flag=True,
    help="E-mail the digest to every `email` notifier of the config.",
)
@click.pass_context
def report_weekly(ctx: click.Context, week: str | None, path: str | None, send: bool) -> None:
    """This week against the week before per team and model, top movers, budgets and alerts, as one HTML file."""
    from monitor.report import email_digest, email_notifiers, report_week, weekly_digest

    app = app_of(ctx)
    try:
        monday = report_week(week, utcnow())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None
    targets = email_notifiers(app.config) if send else {}
    if send and not targets:
        raise BadConfig("--email needs an `email` notifier under notifiers in the config")
    thresholds = idle_thresholds(app.config.alerts.rules)
    data, html, text = weekly_digest(
        app.database(), monday, utcnow(), thresholds, under_use(app.config)
    )
    _write(html, f"{data.week} digest", path, send)
    sent, failed = email_digest(targets, data.week, html, text)
    for recipients in sent:
        click.echo(f"e-mailed the {data.week} digest to {recipients}", err=True)
    if failed:
        raise Failure("; ".join(failed))


@report.command("chargeback")
@click.option("--month", help="Billing period, YYYY-MM (default: the last complete month).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "csv"]),
    default="html",
    show_default=True,
    help="html: the statement to read; csv: one row per team and service/model for finance.",
)
@click.option(
    "-o",
    "--output",
    "path",
    help="Write the statement to this file (default: standard output, unless --email).",
)
@click.option(
    "--email",
    "send",
    is_flag=True,
    help="E-mail the HTML statement, with the CSV attached, to every `email` notifier of the config.",
)
@click.pass_context
def report_chargeback(
    ctx: click.Context, month: str | None, fmt: str, path: str | None, send: bool
) -> None:
    """The month-end statement: per team, billed and amortized GenAI cost by service and model,
    shared lines split by the config's rule (chargeback:), reconciled to `export focus`."""
    from core.queries.billing import parse_month, previous_month
    from core.queries.chargeback import month_statement
    from dashboard.chargeback import render_statement_html, render_statement_text, statement_csv
    from monitor.report import email_notifiers, email_report

    app = app_of(ctx)
    today = utcnow().date()
    try:
        month = parse_month(month, today) if month else previous_month(today)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    targets = email_notifiers(app.config) if send else {}
    if send and not targets:
        raise BadConfig("--email needs an `email` notifier under notifiers in the config")
    with app.database()() as session:
        statement = month_statement(session, month, app.config)
    html, table = render_statement_html(statement, utcnow()), statement_csv(statement)
    _write(html if fmt == "html" else table, f"{month} statement", path, send)
    if not statement.reconciles():  # a bug, never the data: say so rather than send it
        raise Failure(f"the {month} statement does not add up to the FOCUS export's total")
    sent, failed = email_report(
        targets,
        f"GenAI chargeback, {month}",
        html,
        render_statement_text(statement),
        (f"chargeback-{month}.csv", table),
    )
    for recipients in sent:
        click.echo(f"e-mailed the {month} chargeback statement to {recipients}", err=True)
    if failed:
        raise Failure("; ".join(failed))
