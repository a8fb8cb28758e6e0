"""`genai-monitor dashboard`: serve the Dash app with gunicorn's workers (or waitress)."""

from __future__ import annotations

import logging
from typing import Any

import click

from monitor.cli.base import app_of, listen_options

log = logging.getLogger("genai-monitor")


def _server_overrides(**flags: Any) -> dict[str, Any]:
    """The `dashboard.server` settings the command line gives (the config's otherwise)."""
    return {name: value for name, value in flags.items() if value is not None}


@click.command("dashboard")
@listen_options(
    port=8050,
    host_help="Address to bind; anything but loopback should sit behind auth or a proxy.",
    port_help="Port to listen on.",
)
@click.option(
    "--server",
    "kind",
    type=click.Choice(["gunicorn", "waitress"]),
    help="WSGI server [config dashboard.server.kind; default gunicorn, waitress where it cannot run].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="gunicorn worker processes [dashboard.server.workers; default CPUs + 1, at most 8].",
)
@click.option(
    "--threads", type=click.IntRange(1, 64), help="Threads per worker [dashboard.server.threads]."
)
@click.option(
    "--timeout",
    type=click.IntRange(1, 3600),
    help="Seconds a request may take [dashboard.server.timeout].",
)
@click.pass_context
def dashboard_command(
    ctx: click.Context,
    host: str,
    port: int,
    kind: str | None,
    workers: int | None,
    threads: int | None,
    timeout: int | None,
) -> None:
    """Serve the dashboard (auth from GENAI_MONITOR_DASHBOARD_USER/_PASSWORD or _TRUSTED_HEADER, or dashboard.auth)."""
    from dashboard.auth import access_policy, auth_from_env
    from monitor.dashboard import create_app
    from monitor.serve import serve_dashboard

    app = app_of(ctx)
    app.database()  # the config loads and the schema is current before anything is served
    app.engine.dispose()  # the workers open their own connections
    config = app.config
    server = config.dashboard.server.model_copy(
        update=_server_overrides(kind=kind, workers=workers, threads=threads, timeout=timeout)
    )
    auth = auth_from_env()
    enabled = access_policy(auth, config.dashboard).enabled
    if host not in {"127.0.0.1", "localhost", "::1"} and not enabled:
        log.warning(
            "the dashboard listens on %s without authentication: set GENAI_MONITOR_DASHBOARD_USER/_PASSWORD or put it behind an SSO proxy",
            host,
        )
    shape = (
        f"{server.worker_count()} workers x {server.threads} threads"
        if server.kind == "gunicorn"
        else f"{server.threads} threads"
    )
    click.echo(
        f"dashboard on http://{host}:{port}/ ({server.kind}, {shape}, cache {config.dashboard.cache.type})"
        + (" (authentication on)" if enabled else ""),
        err=True,
    )
    database_url = app.settings.database_url

    def factory(cache_dir: str | None) -> Any:
        return create_app(database_url, config, auth=auth, cache_dir=cache_dir).server

    serve_dashboard(factory, server, config.dashboard.cache, host, port)
