"""`genai-monitor config check`: validate the config and print what it resolved to."""

from __future__ import annotations

import click
import yaml

from core.secrets import masked
from monitor.cli.base import app_of


@click.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Validate the config and print what it resolved to (secrets masked)."""
    app = app_of(ctx)
    resolved = masked(app.config)  # every SecretStr field, whatever its name
    source = (
        app.settings.config_path
        if app.settings.config_path.exists()
        else "(no config file: defaults)"
    )
    click.echo(f"# config: {source}")
    click.echo(yaml.safe_dump(resolved, sort_keys=False).rstrip())
    click.echo(
        f"# config OK: {len(app.config.accounts) or 'current'} account(s), {len(app.config.regions)} region(s), {len(app.config.teams)} team(s)"
    )
