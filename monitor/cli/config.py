"""`genai-monitor config check`: validate the config and print what it resolved to."""

from __future__ import annotations

from typing import Any

import click
import yaml

from monitor.cli.base import app_of

SECRET_KEYS = frozenset({"webhook_url", "routing_key", "password", "url", "headers"})


@click.group()
def config() -> None:
    """Inspect the configuration."""


def _masked(node: Any, key: str = "") -> Any:
    if key in SECRET_KEYS and node:
        return {k: "***" for k in node} if isinstance(node, dict) else "***"
    if isinstance(node, dict):
        return {k: _masked(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_masked(v, key) for v in node]
    return node


@config.command("check")
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Validate the config and print what it resolved to (secrets masked)."""
    app = app_of(ctx)
    resolved = app.config.model_dump(mode="json", by_alias=True)
    source = (
        app.settings.config_path
        if app.settings.config_path.exists()
        else "(no config file: defaults)"
    )
    click.echo(f"# config: {source}")
    click.echo(yaml.safe_dump(_masked(resolved), sort_keys=False).rstrip())
    click.echo(
        f"# config OK: {len(app.config.accounts) or 'current'} account(s), {len(app.config.regions)} region(s), {len(app.config.teams)} team(s)"
    )
