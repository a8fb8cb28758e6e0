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

SECRET_KEYS = frozenset({"webhook_url", "routing_key", "password", "url", "headers"})


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


@main.command()
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 455), help="Days of observed usage to base the advice on.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def advise(ctx: click.Context, days: int, fmt: str) -> None:
    """Token-priced or self-hosted? Break-even per Bedrock workload and right-sizing hints per endpoint.

    Every figure lists the assumptions it rests on (catalog entries and config keys under
    `advisor`), so it can be checked and changed.
    """
    import dataclasses
    import json
    from datetime import timedelta

    from core.advisor import HostingCatalog, break_even, endpoint_hints
    from core.pricing import InstancePriceCatalog
    from core.queries import endpoint_usage, model_usage
    from core.timeutil import floor_hour

    app = _app(ctx)
    end = floor_hour(utcnow())
    start = end - timedelta(days=days)
    hosting = HostingCatalog.load(app.config.advisor)
    instances = InstancePriceCatalog.load()
    with app.database()() as session:
        workloads = [break_even(usage, app.catalog, hosting, instances) for usage in model_usage(session, start, end)]
        hints = [hint for usage in endpoint_usage(session, start, end) for hint in endpoint_hints(usage, app.catalog, hosting, instances)]
    if fmt == "json":
        def plain(item: Any) -> Any:
            return json.loads(json.dumps(dataclasses.asdict(item), default=str))

        click.echo(json.dumps({"start": iso_utc(start), "end": iso_utc(end), "workloads": [plain(w) for w in workloads], "endpoints": [plain(h) for h in hints]}, indent=2))
        return
    click.echo(f"Bedrock workloads, {iso_utc(start)[:10]} to {iso_utc(end)[:10]} (monthly figures):")
    for w in workloads:
        bedrock = "unpriced" if w.bedrock_monthly_usd is None else f"${w.bedrock_monthly_usd:,}"
        click.echo(f"  {w.team:<14} {w.model_id:<50} {w.region:<12} {w.tokens_per_month:>16,} tokens  Bedrock {bedrock}: {w.verdict}")
    if not workloads:
        click.echo("  no Bedrock usage in this window")
    click.echo("Endpoint hints:")
    for h in sorted(hints, key=lambda item: -item.monthly_saving_usd):
        click.echo(f"  {h.team:<14} {h.endpoint_name:<40} save ${h.monthly_saving_usd:,}/month: {h.suggestion}")
    if not hints:
        click.echo("  none: every endpoint looks right-sized for its traffic (or has no comparable model configured)")
    click.echo("Assumptions: `--format json` lists them for every figure; change them under `advisor` in the config.")


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


@export.command("endpoints")
@click.option("--start", callback=_parse_time, help="Sum hours, invocations and cost from this hour (ISO 8601, UTC).")
@click.option("--end", callback=_parse_time, help="Sum up to this time; idle hours are the idle streak as of it.")
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")
@click.option("--account", "accounts", multiple=True, help="Only this account id (repeatable).")
@click.option("--region", "regions", multiple=True, help="Only this region (repeatable).")
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), default="csv", show_default=True)
@click.option("-o", "--output", "path", help="Write to this file instead of standard output.")
@click.pass_context
def export_endpoints(
    ctx: click.Context,
    start: datetime | None,
    end: datetime | None,
    teams: tuple[str, ...],
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    fmt: str,
    path: str | None,
) -> None:
    """SageMaker endpoints: uptime, invocations, idle hours and estimated cost (default: everything stored)."""
    from core.queries import endpoint_summaries
    from monitor.export import ENDPOINT_COLUMNS, endpoint_record

    if start and end and end <= start:
        raise click.UsageError("--end must be after --start")
    sessions = _app(ctx).database()
    with sessions() as session, output(path, sys.stdout) as out:
        rows = endpoint_summaries(session, start, end, list(teams), list(accounts), list(regions))
        count = WRITERS[fmt]((endpoint_record(row) for row in rows), ENDPOINT_COLUMNS, out)
    if path and path != "-":
        click.echo(f"wrote {count} row(s) to {path}", err=True)


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_timestamp(value).date()
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@export.command("costs")
@click.option("--start", callback=_parse_day, help="First day to include (YYYY-MM-DD, UTC).")
@click.option("--end", callback=_parse_day, help="Days before this day are included (YYYY-MM-DD, UTC).")
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")
@click.option("--account", "accounts", multiple=True, help="Only this account id (repeatable).")
@click.option("--service", "services", multiple=True, help="Only this Cost Explorer service (repeatable).")
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), default="csv", show_default=True)
@click.option("-o", "--output", "path", help="Write to this file instead of standard output.")
@click.pass_context
def export_costs(
    ctx: click.Context,
    start: Any,
    end: Any,
    teams: tuple[str, ...],
    accounts: tuple[str, ...],
    services: tuple[str, ...],
    fmt: str,
    path: str | None,
) -> None:
    """Billed GenAI spend from Cost Explorer per day, account, service, usage group and team."""
    from core.queries import cost_lines
    from monitor.export import COST_COLUMNS, cost_record

    if start and end and end <= start:
        raise click.UsageError("--end must be after --start")
    sessions = _app(ctx).database()
    with sessions() as session, output(path, sys.stdout) as out:
        rows = cost_lines(session, start, end, list(teams), list(accounts), list(services))
        count = WRITERS[fmt]((cost_record(row) for row in rows), COST_COLUMNS, out)
    if path and path != "-":
        click.echo(f"wrote {count} row(s) to {path}", err=True)


@main.command()
@click.option(
    "--aws-forecast",
    is_flag=True,
    help="Also ask Cost Explorer's GetCostForecast for the rest of the month ($0.01 a request, one per team and account).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def budgets(ctx: click.Context, aws_forecast: bool, fmt: str) -> None:
    """This month's budget use and month-end projection per team (budgets synced from the config)."""
    import json

    from core.budgets import sync_budgets
    from core.projection import month_bounds
    from core.queries import budget_use, cost_lines, team_projections
    from monitor.export import money

    app = _app(ctx)
    sessions = app.database()
    now = utcnow()
    with sessions.begin() as session:
        sync_budgets(session, app.config, now)
    forecasts: dict[str, Any] = {}
    with sessions() as session:
        if aws_forecast:
            start, end = month_bounds(now.date())
            lines = list(cost_lines(session, start, end))
            collector: Any = app.sources()["costs"]
            forecasts = collector.month_forecasts(
                collector.targets(app.targets()),
                sorted({line.team for line in lines} | {team.name for team in app.config.teams}),
                sorted({line.account_id for line in lines}),
                sorted({line.service for line in lines}),
                now.date(),
            )
        uses = budget_use(session, now, forecasts)
        projections = team_projections(session, now, forecasts)
    budgeted = {use.team for use in uses}
    rows = [
        {
            "team": use.team,
            "service": use.service,
            "budget_usd": money(use.budget_usd),
            "spent_usd": money(use.spent_usd),
            "used": None if use.used is None else str(use.used),
            "projected_usd": money(use.projection.projected_usd),
            "projected_use": None if use.projected_use is None else str(use.projected_use),
            "crosses_on": use.projection.crosses_on.isoformat() if use.projection.crosses_on else None,
            "method": use.projection.method,
        }
        for use in uses
    ] + [
        {
            "team": team,
            "service": "all",
            "budget_usd": None,
            "spent_usd": money(projection.spent_usd),
            "used": None,
            "projected_usd": money(projection.projected_usd),
            "projected_use": None,
            "crosses_on": None,
            "method": projection.method,
        }
        for team, projection in projections.items()
        if team not in budgeted and (projection.spent_usd or projection.projected_usd)
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'team':<16}{'service':<24}{'budget':>12}{'spent':>12}{'used':>8}{'projected':>12}{'proj.':>8}  {'crosses on':<11} method")
    for row in rows:
        used = f"{float(row['used']):.0%}" if row["used"] is not None else "-"
        projected_use = f"{float(row['projected_use']):.0%}" if row["projected_use"] is not None else "-"
        click.echo(
            f"{row['team']:<16}{row['service'][:23]:<24}{row['budget_usd'] or '-':>12}{row['spent_usd']:>12}{used:>8}"
            f"{row['projected_usd']:>12}{projected_use:>8}  {row['crosses_on'] or '-':<11} {row['method']}"
        )


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


@main.group("alerts")
def alerts_group() -> None:
    """Evaluate, list and silence alerts."""


@alerts_group.command("evaluate")
@click.option("--dry-run", is_flag=True, help="Show what would change and be sent; change and send nothing.")
@click.pass_context
def alerts_evaluate(ctx: click.Context, dry_run: bool) -> None:
    """Evaluate every rule once, advance alert states and send due notifications."""
    from functools import partial

    from alerts.notifiers import build_notifiers
    from alerts.service import cycle
    from alerts.snapshot_source import build_snapshot

    app = _app(ctx)
    sessions = app.database()
    channels = build_notifiers(app.config.notifiers, app.clients)
    summary, report = cycle(sessions, app.config, partial(build_snapshot, app.config), channels, utcnow, dry_run)
    prefix = "would " if dry_run else ""
    for change in summary.changes:
        click.echo(f"{prefix}{change.what}: {change.rule} {change.subject}" + (f" ({change.detail})" if change.detail else ""))
    click.echo(
        f"{len(app.config.alerts.rules)} rule(s) evaluated: {summary.count('opened')} opened, {summary.count('fired')} fired, "
        f"{summary.count('resolved')} resolved, {summary.count('notify')} notification(s) queued"
        + ("" if dry_run else f", {report.delivered} delivered, {report.failed} failed (retried later)")
    )
    for error in sorted(set(report.errors)):
        click.echo(f"delivery failed: {error}", err=True)


@alerts_group.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(["pending", "firing", "silenced", "resolved"]), help="Only these states (repeatable; default: all open ones).")
@click.option("--all", "show_all", is_flag=True, help="Every state, resolved included.")
@click.pass_context
def alerts_list(ctx: click.Context, states: tuple[str, ...], show_all: bool) -> None:
    """List alerts, newest first."""
    from core.queries import alert_rows

    chosen = None if show_all else list(states or ("pending", "firing", "silenced"))
    with _app(ctx).database()() as session:
        rows = alert_rows(session, chosen)
        for alert in rows:
            click.echo(f"{alert.id:>5}  {alert.state:<9} {alert.severity:<8} {alert.rule:<17} {alert.team:<14} {alert.message}")
    if not rows:
        click.echo("no alerts")


@alerts_group.group("silence")
def silence() -> None:
    """Mute matching alerts for a while: add, list, remove."""


@silence.command("add")
@click.option("--rule", help="Only this rule (default: every rule).")
@click.option("--subject", default="*", show_default=True, help="Shell pattern on the alert subject, e.g. '*/us-east-1/search-*'.")
@click.option("--team", help="Only this team's alerts.")
@click.option("--for", "duration", required=True, callback=_parse_since, help="How long, e.g. 4h or 2d.")
@click.option("--comment", default="", help="Why.")
@click.option("--by", "created_by", default=lambda: os.environ.get("USER", "genai-monitor"), help="Who (default: $USER).")
@click.pass_context
def silence_add(ctx: click.Context, rule: str | None, subject: str, team: str | None, duration: Any, comment: str, created_by: str) -> None:
    """Add a silence starting now."""
    from core.models import Silence

    app = _app(ctx)
    known = {r.rule_name for r in app.config.alerts.rules}
    if rule is not None and rule not in known:
        raise click.BadParameter(f"no rule named {rule!r}; the config has: {', '.join(sorted(known)) or 'none'}", param_hint="--rule")
    now = utcnow()
    with app.database().begin() as session:
        entry = Silence(rule=rule, subject_pattern=subject, team=team, starts_at=now, ends_at=now + duration, created_by=created_by, comment=comment)
        session.add(entry)
        session.flush()
        click.echo(f"silence {entry.id} added until {iso_utc(entry.ends_at)}")


@silence.command("list")
@click.option("--all", "show_all", is_flag=True, help="Expired silences too.")
@click.pass_context
def silence_list(ctx: click.Context, show_all: bool) -> None:
    """List the active silences."""
    from sqlalchemy import select

    from core.models import Silence

    now = utcnow()
    with _app(ctx).database()() as session:
        statement = select(Silence).order_by(Silence.id)
        if not show_all:
            statement = statement.where(Silence.ends_at > now)
        rows = list(session.scalars(statement))
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
    from core.models import Silence

    with _app(ctx).database().begin() as session:
        entry = session.get(Silence, silence_id)
        if entry is None:
            raise click.BadParameter(f"no silence with id {silence_id}", param_hint="SILENCE_ID")
        entry.ends_at = min(entry.ends_at, utcnow())
    click.echo(f"silence {silence_id} ended")


@export.command("alerts")
@click.option("--start", callback=_parse_time, help="Alerts opened at or after this time (ISO 8601, UTC).")
@click.option("--end", callback=_parse_time, help="Alerts opened before this time.")
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), default="csv", show_default=True)
@click.option("-o", "--output", "path", help="Write to this file instead of standard output.")
@click.pass_context
def export_alerts(ctx: click.Context, start: datetime | None, end: datetime | None, fmt: str, path: str | None) -> None:
    """Alert episodes with their state and when they were notified and resolved."""
    from core.queries import alert_rows
    from monitor.export import ALERT_COLUMNS, alert_record

    sessions = _app(ctx).database()
    with sessions() as session, output(path, sys.stdout) as out:
        count = WRITERS[fmt]((alert_record(a) for a in alert_rows(session, None, start, end)), ALERT_COLUMNS, out)
    if path and path != "-":
        click.echo(f"wrote {count} row(s) to {path}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
