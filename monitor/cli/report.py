"""`genai-monitor report weekly`: the managers' weekly digest, written out or e-mailed."""

from __future__ import annotations

from pathlib import Path

import click

from core.queries.waste import idle_thresholds
from core.timeutil import utcnow
from monitor.cli.base import BadConfig, Failure, app_of


def _write(html: str, week: str, path: str | None, send: bool) -> None:
    """The digest to the file, else to standard output unless it is only e-mailed."""
    if path and path != "-":
        Path(path).write_text(html, encoding="utf-8")
        click.echo(f"wrote the {week} digest to {path}", err=True)
    elif not send or path == "-":
        click.echo(html, nl=False)


@click.group()
def report() -> None:
    """Reports for people: the managers' weekly digest."""


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
    data, html, text = weekly_digest(app.database(), monday, utcnow(), thresholds)
    _write(html, data.week, path, send)
    sent, failed = email_digest(targets, data.week, html, text)
    for recipients in sent:
        click.echo(f"e-mailed the {data.week} digest to {recipients}", err=True)
    if failed:
        raise Failure("; ".join(failed))
