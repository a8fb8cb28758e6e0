"""`genai-monitor demo`: a local AWS stand-in seeded with a demo organisation, collected and served."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.base import Failure, listen_options


@click.command()
@click.option(
    "--days",
    default=90,
    show_default=True,
    type=click.IntRange(1, 120),
    help="Days of history to seed.",
)
@click.option(
    "--dir",
    "directory",
    default="demo-data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the demo config and database go.",
)
@click.option(
    "--database-url",
    help="Collect into this database instead of demo-data/demo.db (it is written to, so not production).",
)
@listen_options(
    port=8050,
    host_help="Address the dashboard listens on.",
    port_help="Port the dashboard listens on.",
)
@click.option(
    "--no-serve",
    is_flag=True,
    help="Build the demo, print the summary and exit without serving the dashboard.",
)
def demo(
    days: int, directory: str, database_url: str | None, host: str, port: int, no_serve: bool
) -> None:
    """Run against a local AWS stand-in seeded with a demo organisation: no account needed.

    Starts moto's server in process on a loopback port, seeds six teams' Bedrock usage (a dozen
    models and inference profiles in two regions), eight SageMaker endpoints and the matching
    Cost Explorer bill over 90 days, collects it all with the real collectors into SQLite,
    evaluates the alert rules (delivered to the log) and serves the dashboard.
    """
    from monitor.demo import build_demo, summary_lines

    result = build_demo(
        Path(directory), days, database_url, progress=lambda line: click.echo(line, err=True)
    )
    click.echo("")
    for line in summary_lines(result):
        click.echo(line)
    for failure in result.failed:
        click.echo(f"collection problem: {failure}", err=True)
    click.echo(
        f"\nbuilt in {sum(result.seconds.values()):.0f}s ("
        + ", ".join(f"{name} {value:.1f}s" for name, value in result.seconds.items())
        + f")\nconfig: {result.config_path}\ndatabase: {result.database_url}\n"
        f"look around: DATABASE_URL={result.database_url} GENAI_MONITOR_CONFIG={result.config_path} genai-monitor budgets"
    )
    if result.failed:
        raise Failure("the demo's collection failed for some targets (see above)")
    if no_serve:
        return
    from monitor.dashboard import create_app, serve

    click.echo(f"\ndashboard: http://{host}:{port}/  (Ctrl-C stops it)")
    serve(create_app(result.database_url, result.config), host=host, port=port)
