"""`genai-monitor run`: the long-running service, scheduled collectors and alert evaluation."""

from __future__ import annotations

import logging

import click

from monitor.cli.base import Failure, app_of, listen_options


@click.command()
@listen_options(
    port=9108,
    host_help="Address of the /healthz and /metrics endpoint (0.0.0.0 in a container).",
    port_help="Port of the /healthz and /metrics endpoint (0: any free port).",
    lowest_port=0,
)
@click.pass_context
def run(ctx: click.Context, host: str, port: int) -> None:
    """Run the service: scheduled collectors and alert evaluation, until SIGTERM.

    Each collector runs at its `collection.<source>.interval` (aligned: Bedrock at :05 past the
    hour, SageMaker at :07, costs every 6 hours at :20), the alert rules every `alerts.interval`,
    and every job once at start. Several processes may share one Postgres database: each
    cycle's targets are claimed in the database, so none runs twice in a cycle. On SIGTERM the
    running jobs finish the window they are writing and the process exits 0.
    """
    from monitor.scheduler import ListenError, run_until_signalled

    if ctx.find_root().params.get("verbose", 0) == 0:
        # a service says what it does: INFO unless asked for more
        logging.getLogger().setLevel(logging.INFO)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(
            logging.Formatter("%(asctime)s genai-monitor: %(levelname)s: %(message)s")
        )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        run_until_signalled(app_of(ctx), host, port)
    except ListenError as exc:
        raise Failure(str(exc)) from None
