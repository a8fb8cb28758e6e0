"""The `genai-monitor` command line: exit 0 on success, 2 on bad usage or config, 1 on a failed run."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import yaml

from collector.runner import CycleResult, Runner, TargetPlan, Window
from core.aws import AwsError
from core.db import DatabaseError
from core.queries import bedrock_usage
from core.settings import ConfigError, env_settings
from core.timeutil import iso_utc, parse_duration, parse_timestamp, utcnow
from monitor.context import SOURCE_NAMES, AppContext
from monitor.export import BEDROCK_USAGE_COLUMNS, WRITERS, bedrock_usage_record, output

log = logging.getLogger("genai-monitor")

SECRET_KEYS = frozenset({"webhook_url", "routing_key", "password", "url"})


class Failure(click.ClickException):
    """A run that failed: exit code 1."""

    exit_code = 1


class BadConfig(click.ClickException):
    """A config that does not load: exit code 2."""

    exit_code = 2


class MonitorGroup(click.Group):
    """Turns the project's errors into one-line messages and the documented exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise BadConfig(f"config error: {exc}") from None
        except DatabaseError as exc:
            raise Failure(f"database error: {exc}") from None
        except AwsError as exc:
            raise Failure(f"AWS error: {exc}") from None


def _app(ctx: click.Context) -> AppContext:
    app: AppContext = ctx.obj
    return app


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Watch what your organisation spends on generative AI in AWS.

    Configuration comes from the environment (DATABASE_URL, GENAI_MONITOR_CONFIG, AWS_*)
    and the YAML file GENAI_MONITOR_CONFIG names (default ./genai-monitor.yaml).
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="genai-monitor: %(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger("botocore").setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)
    ctx.obj = AppContext(env_settings())


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Upgrade the database schema to the newest revision."""
    from monitor.migrate import current_revision, head_revision, upgrade

    app = _app(ctx)
    before = current_revision(app.engine)
    upgrade(app.engine)
    head = head_revision()
    if before == head:
        click.echo(f"database already at revision {head}")
    else:
        click.echo(f"database upgraded from {before or '(empty)'} to {head}")


@main.group()
def config() -> None:
    """Inspect the configuration."""


def _masked(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _masked(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_masked(v, key) for v in node]
    if key in SECRET_KEYS and isinstance(node, str) and node:
        return "***"
    return node


@config.command("check")
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Validate the config and print what it resolved to (secrets masked)."""
    app = _app(ctx)
    resolved = app.config.model_dump(mode="json", by_alias=True)
    source = app.settings.config_path if app.settings.config_path.exists() else "(no config file: defaults)"
    click.echo(f"# config: {source}")
    click.echo(yaml.safe_dump(_masked(resolved), sort_keys=False).rstrip())
    click.echo(f"# config OK: {len(app.config.accounts) or 'current'} account(s), {len(app.config.regions)} region(s), {len(app.config.teams)} team(s)")


def _parse_time(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _parse_since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _backfill_window(since: Any, start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    if since is not None and (start or end):
        raise click.UsageError("give either --since or --start/--end, not both")
    if end is not None and start is None:
        raise click.UsageError("--end needs --start")
    if since is not None:
        now = utcnow()
        return now - since, now
    if start is not None:
        end = end or utcnow()
        if end <= start:
            raise click.UsageError("--end must be after --start")
    return start, end


@main.command()
@click.argument("source", type=click.Choice([*SOURCE_NAMES, "all"]))
@click.option("--since", callback=_parse_since, help="Backfill this much history up to now, e.g. 7d or 36h.")
@click.option("--start", callback=_parse_time, help="Backfill from this time (ISO 8601, UTC unless an offset is given).")
@click.option("--end", callback=_parse_time, help="Backfill up to this time (default: now).")
@click.pass_context
def collect(ctx: click.Context, source: str, since: Any, start: datetime | None, end: datetime | None) -> None:
    """Collect SOURCE from AWS into the database.

    With --since or --start/--end: a one-shot backfill of that window. Without: the regular
    incremental cycle, from where the last run stopped (re-reading the provisional newest
    hours), which also fills any gap left while the collector was down.
    """
    window_start, window_end = _backfill_window(since, start, end)
    _collect(_app(ctx), source, window_start, window_end)


def _collect(app: AppContext, source: str, start: datetime | None = None, end: datetime | None = None) -> None:
    sessions = app.database()
    sources = app.sources()
    chosen = list(sources) if source == "all" else [source]
    targets = app.targets()
    runner = Runner(sessions, app.clients.counter)
    failed = False
    for name in chosen:
        plans = runner.plan(sources[name], sources[name].targets(targets), start, end)
        result = _run_with_progress(runner, sources[name], plans)
        _report(result)
        failed = failed or bool(result.failed)
    if failed:
        raise Failure("some targets failed; what was collected is kept, and the next run retries the rest")


def _run_with_progress(runner: Runner, source: Any, plans: list[TargetPlan]) -> CycleResult:
    total = sum(len(plan.windows) for plan in plans)
    show = sys.stderr.isatty() and total > 1
    bar = click.progressbar(length=total, label=f"collect {source.name}", file=sys.stderr, show_pos=True) if show else nullcontext()
    with bar as progress:
        on_window: Callable[[TargetPlan, Window], None] | None = None
        if progress is not None:

            def on_window(plan: TargetPlan, window: Window) -> None:
                progress.label = f"collect {source.name} {plan.target.label} {iso_utc(window.start)[:10]}"
                progress.update(1)

        return runner.run(source, plans, on_window)


def _report(result: CycleResult) -> None:
    for outcome in result.outcomes:
        line = (
            f"{result.source} {outcome.target.label}: {outcome.status}, {outcome.windows_done} window(s), "
            f"{outcome.rows} row(s), {outcome.api_calls} API call(s)"
        )
        if outcome.message:
            line += f": {outcome.message}"
        click.echo(line, err=outcome.status != "succeeded")
    click.echo(f"{result.source}: {result.rows} row(s) written over {len(result.outcomes)} target(s)")


@main.group()
def export() -> None:
    """Export stored data as CSV or JSON."""


@export.command("bedrock-usage")
@click.option("--start", callback=_parse_time, help="First hour to include (ISO 8601, UTC).")
@click.option("--end", callback=_parse_time, help="Hours before this time are included.")
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")
@click.option("--account", "accounts", multiple=True, help="Only this account id (repeatable).")
@click.option("--region", "regions", multiple=True, help="Only this region (repeatable).")
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), default="csv", show_default=True)
@click.option("-o", "--output", "path", help="Write to this file instead of standard output.")
@click.pass_context
def export_bedrock_usage(
    ctx: click.Context,
    start: datetime | None,
    end: datetime | None,
    teams: tuple[str, ...],
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    fmt: str,
    path: str | None,
) -> None:
    """Hourly Bedrock usage per model, account, region and team, with estimated cost."""
    if start and end and end <= start:
        raise click.UsageError("--end must be after --start")
    sessions = _app(ctx).database()
    with sessions() as session, output(path, sys.stdout) as out:
        rows = bedrock_usage(session, start, end, list(teams), list(accounts), list(regions))
        count = WRITERS[fmt]((bedrock_usage_record(row) for row in rows), BEDROCK_USAGE_COLUMNS, out)
    if path and path != "-":
        click.echo(f"wrote {count} row(s) to {path}", err=True)


@main.command()
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 30), help="Days of history to seed.")
@click.option("--dir", "directory", default="demo-data", show_default=True, type=click.Path(file_okay=False), help="Where the demo config and database go.")
def demo(days: int, directory: str) -> None:
    """Run against a local AWS stand-in seeded with a demo organisation: no account needed.

    Starts moto's server on a loopback port, seeds a week of Bedrock usage for six teams in two
    regions, collects it with the real collector into SQLite (DATABASE_URL if set), and prints
    what each team used.
    """
    from core.queries import bedrock_usage_by_team
    from core.settings import EnvSettings
    from monitor.demo import local_aws, seed, write_config

    folder = Path(directory)
    config_path = write_config(folder, days)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{(folder / 'demo.db').resolve()}"
    with local_aws() as url:
        click.echo(f"local AWS stand-in (moto) at {url}")
        points = seed(days)
        click.echo(f"seeded {points} Bedrock datapoints over {days} day(s)")
        app = AppContext(EnvSettings(database_url, config_path, config_path_explicit=True))
        _collect(app, "bedrock")
    with app.database()() as session:
        summary = bedrock_usage_by_team(session)
    click.echo(f"\n{'team':<14}{'invocations':>14}{'input tokens':>16}{'output tokens':>16}{'est. cost USD':>16}")
    for row in summary:
        flag = f"  ({row.unpriced_hours} unpriced model-hours)" if row.unpriced_hours else ""
        click.echo(f"{row.team:<14}{row.invocations:>14,}{row.input_tokens:>16,}{row.output_tokens:>16,}{row.estimated_cost_usd:>16,.2f}{flag}")
    click.echo(
        f"\nconfig: {config_path}\ndatabase: {database_url}\n"
        f"export it: DATABASE_URL={database_url} genai-monitor export bedrock-usage --format csv"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
