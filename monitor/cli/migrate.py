"""`genai-monitor migrate`: the Alembic upgrade to head."""

from __future__ import annotations

import click

from monitor.cli.base import app_of


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Upgrade the database schema to the newest revision."""
    from monitor.migrate import current_revision, head_revision, upgrade

    app = app_of(ctx)
    before = current_revision(app.engine)
    upgrade(app.engine)
    head = head_revision()
    if before == head:
        click.echo(f"database already at revision {head}")
    else:
        click.echo(f"database upgraded from {before or '(empty)'} to {head}")
