"""`genai-monitor dashboard`: serve the Dash app."""

from __future__ import annotations

import logging

import click

from monitor.cli.base import app_of, listen_options

log = logging.getLogger("genai-monitor")


@click.command("dashboard")
@listen_options(
    port=8050,
    host_help="Address to bind; anything but loopback should sit behind auth or a proxy.",
    port_help="Port to listen on.",
)
@click.pass_context
def dashboard_command(ctx: click.Context, host: str, port: int) -> None:
    """Serve the dashboard (auth from GENAI_MONITOR_DASHBOARD_USER/_PASSWORD or _TRUSTED_HEADER, or dashboard.auth)."""
    from dashboard.auth import access_policy, auth_from_env
    from monitor.dashboard import create_app, serve

    app = app_of(ctx)
    app.database()  # the config loads and the schema is current before anything is served
    auth = auth_from_env()
    enabled = access_policy(auth, app.config.dashboard).enabled
    if host not in {"127.0.0.1", "localhost", "::1"} and not enabled:
        log.warning(
            "the dashboard listens on %s without authentication: set GENAI_MONITOR_DASHBOARD_USER/_PASSWORD or put it behind an SSO proxy",
            host,
        )
    click.echo(
        f"dashboard on http://{host}:{port}/" + (" (authentication on)" if enabled else ""),
        err=True,
    )
    serve(create_app(app.settings.database_url, app.config, auth=auth), host, port)
