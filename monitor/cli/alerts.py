"""`genai-monitor alerts`: evaluate the rules, list alerts, add, list and remove silences."""

from __future__ import annotations

import os
from typing import Any

import click

from core.timeutil import iso_utc, utcnow
from monitor.cli.base import app_of, parse_since


@click.group("alerts")
def alerts_group() -> None:
    """Evaluate, list and silence alerts."""


@alerts_group.command("evaluate")
@click.option(
    "--dry-run", is_flag=True, help="Show what would change and be sent; change and send nothing."
)
@click.pass_context
def alerts_evaluate(ctx: click.Context, dry_run: bool) -> None:
    """Evaluate every rule once, advance alert states and send due notifications."""
    from functools import partial

    from alerts.notifiers import build_notifiers
    from alerts.service import cycle
    from alerts.snapshot_source import build_snapshot

    app = app_of(ctx)
    sessions = app.database()
    channels = build_notifiers(app.config.notifiers, app.clients)
    summary, report = cycle(
        sessions, app.config, partial(build_snapshot, app.config), channels, utcnow, dry_run
    )
    prefix = "would " if dry_run else ""
    for change in summary.changes:
        click.echo(
            f"{prefix}{change.what}: {change.rule} {change.subject}"
            + (f" ({change.detail})" if change.detail else "")
        )
    click.echo(
        f"{len(app.config.alerts.rules)} rule(s) evaluated: {summary.count('opened')} opened, {summary.count('fired')} fired, "
        f"{summary.count('resolved')} resolved, {summary.count('inhibited')} inhibited, "
        f"{summary.count('notify')} notification(s) queued"
        + ("" if dry_run else f", {report.delivered} delivered, {report.failed} failed")
    )
    if report.failed:
        attempted = report.delivered + report.failed
        click.echo(
            f"{report.failed} of {attempted} notification(s) failed: {'; '.join(sorted(set(report.errors)))}",
            err=True,
        )
        if report.unknown:
            click.echo(
                f"{report.unknown} of them were sent without an answer in time (outcome unknown): "
                "idempotent channels get them again with the same key, others never twice",
                err=True,
            )
        ctx.exit(1)


@alerts_group.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["pending", "firing", "silenced", "inhibited", "resolved"]),
    help="Only these states (repeatable; default: pending, firing and silenced).",
)
@click.option(
    "--all", "show_all", is_flag=True, help="Every state, resolved and inhibited included."
)
@click.pass_context
def alerts_list(ctx: click.Context, states: tuple[str, ...], show_all: bool) -> None:
    """List alerts, newest first (those inhibited by a higher one only with --all or --state)."""
    from core.queries.alerts import alert_rows

    chosen = None if show_all else list(states or ("pending", "firing", "silenced"))
    with app_of(ctx).database()() as session:
        rows = alert_rows(session, chosen, inhibited=show_all or bool(states))
        for alert in rows:
            click.echo(
                f"{alert.id:>5}  {alert.state:<9} {alert.severity:<8} {alert.rule:<17} {alert.team:<14} {alert.message}"
            )
    if not rows:
        click.echo("no alerts")


@alerts_group.group("silence")
def silence() -> None:
    """Mute matching alerts for a while: add, list, remove."""


@silence.command("add")
@click.option("--rule", help="Only this rule (default: every rule).")
@click.option(
    "--subject",
    default="*",
    show_default=True,
    help="Shell pattern on the alert subject, e.g. '*/us-east-1/search-*'.",
)
@click.option("--team", help="Only this team's alerts.")
@click.option(
    "--for", "duration", required=True, callback=parse_since, help="How long, e.g. 4h or 2d."
)
@click.option("--comment", default="", help="Why.")
@click.option(
    "--by",
    "created_by",
    default=lambda: os.environ.get("USER", "genai-monitor"),
    help="Who (default: $USER).",
)
@click.pass_context
def silence_add(
    ctx: click.Context,
    rule: str | None,
    subject: str,
    team: str | None,
    duration: Any,
    comment: str,
    created_by: str,
) -> None:
    """Add a silence starting now."""
    from alerts.silences import add_silence

    app = app_of(ctx)
    known = {r.rule_name for r in app.config.alerts.rules}
    if rule is not None and rule not in known:
        raise click.BadParameter(
            f"no rule named {rule!r}; the config has: {', '.join(sorted(known)) or 'none'}",
            param_hint="--rule",
        )
    with app.database().begin() as session:
        entry = add_silence(
            session,
            rule=rule,
            subject_pattern=subject,
            team=team,
            starts_at=utcnow(),
            duration=duration,
            created_by=created_by,
            comment=comment,
        )
        click.echo(f"silence {entry.id} added until {iso_utc(entry.ends_at)}")


@silence.command("list")
@click.option("--all", "show_all", is_flag=True, help="Expired silences too.")
@click.pass_context
def silence_list(ctx: click.Context, show_all: bool) -> None:
    """List the active silences."""
    from alerts.silences import list_silences

    now = utcnow()
    with app_of(ctx).database()() as session:
        rows = list_silences(session, now, include_expired=show_all)
        for entry in rows:
            click.echo(
                f"{entry.id:>4}  until {iso_utc(entry.ends_at)}  rule={entry.rule or '*'} subject={entry.subject_pattern} "
                f"team={entry.team or '*'}  by {entry.created_by}: {entry.comment}"
            )
    if not rows:
        click.echo("no silences")


@silence.command("remove")
@click.argument("silence_id", type=int)
@click.pass_context
def silence_remove(ctx: click.Context, silence_id: int) -> None:
    """End a silence now (it stays listed with --all)."""
    from alerts.silences import end_silence

    with app_of(ctx).database().begin() as session:
        if end_silence(session, silence_id, utcnow()) is None:
            raise click.BadParameter(f"no silence with id {silence_id}", param_hint="SILENCE_ID")
    click.echo(f"silence {silence_id} ended")
