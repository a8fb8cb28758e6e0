"""The `genai-monitor` command line: exit 0 on success, 2 on bad usage or config, 1 on a failed run."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
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
    logging.basicConfig(
        level=max(level, logging.DEBUG),
        format="genai-monitor: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
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


def _backfill_window(
    since: Any, start: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None]:
    if since is not None and (start or end):
        raise click.UsageError("give either --since or --start/--end, not both")
    if end is not None and start is None:
        raise click.UsageError("--end needs --start")
    if since is not None:
        now = utcnow()
        return now - since, now
    if start is not None:
        end = end or utcnow()
        _require_order(start, end)
    return start, end


@main.command()
@click.argument("source", type=click.Choice([*SOURCE_NAMES, "all"]))
@click.option(
    "--since", callback=_parse_since, help="Backfill this much history up to now, e.g. 7d or 36h."
)
@click.option(
    "--start",
    callback=_parse_time,
    help="Backfill from this time (ISO 8601, UTC unless an offset is given).",
)
@click.option("--end", callback=_parse_time, help="Backfill up to this time (default: now).")
@click.pass_context
def collect(
    ctx: click.Context, source: str, since: Any, start: datetime | None, end: datetime | None
) -> None:
    """Collect SOURCE from AWS into the database.

    With --since or --start/--end: a one-shot backfill of that window. Without: the regular
    incremental cycle, from where the last run stopped (re-reading the provisional newest
    hours), which also fills any gap left while the collector was down.
    """
    window_start, window_end = _backfill_window(since, start, end)
    _collect(_app(ctx), source, window_start, window_end)


def _collect(
    app: AppContext, source: str, start: datetime | None = None, end: datetime | None = None
) -> None:
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
        raise Failure(
            "some targets failed; what was collected is kept, and the next run retries the rest"
        )


def _run_with_progress(runner: Runner, source: Any, plans: list[TargetPlan]) -> CycleResult:
    total = sum(len(plan.windows) for plan in plans)
    show = sys.stderr.isatty() and total > 1
    bar = (
        click.progressbar(
            length=total, label=f"collect {source.name}", file=sys.stderr, show_pos=True
        )
        if show
        else nullcontext()
    )
    with bar as progress:
        on_window: Callable[[TargetPlan, Window], None] | None = None
        if progress is not None:

            def on_window(plan: TargetPlan, window: Window) -> None:
                progress.label = (
                    f"collect {source.name} {plan.target.label} {iso_utc(window.start)[:10]}"
                )
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
    click.echo(
        f"{result.source}: {result.rows} row(s) written over {len(result.outcomes)} target(s)"
    )


@main.command()
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(1, 455),
    help="Days of observed usage to base the advice on.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def advise(ctx: click.Context, days: int, fmt: str) -> None:
    """Token-priced or self-hosted? Break-even per Bedrock workload and right-sizing hints per endpoint.

    Every figure lists the assumptions it rests on (catalog entries and config keys under
    `advisor`), so it can be checked and changed.
    """
    import dataclasses
    import json
    from datetime import timedelta

    from advisor import HostingCatalog, break_even, endpoint_hints
    from core.pricing import InstancePriceCatalog
    from core.queries import endpoint_usage, model_usage
    from core.timeutil import floor_hour

    app = _app(ctx)
    end = floor_hour(utcnow())
    start = end - timedelta(days=days)
    hosting = HostingCatalog.load(app.config.advisor)
    instances = InstancePriceCatalog.load()
    with app.database()() as session:
        workloads = [
            break_even(usage, app.catalog, hosting, instances)
            for usage in model_usage(session, start, end)
        ]
        hints = [
            hint
            for usage in endpoint_usage(session, start, end)
            for hint in endpoint_hints(usage, app.catalog, hosting, instances)
        ]
    if fmt == "json":

        def plain(item: Any) -> Any:
            return json.loads(json.dumps(dataclasses.asdict(item), default=str))

        click.echo(
            json.dumps(
                {
                    "start": iso_utc(start),
                    "end": iso_utc(end),
                    "workloads": [plain(w) for w in workloads],
                    "endpoints": [plain(h) for h in hints],
                },
                indent=2,
            )
        )
        return
    click.echo(
        f"Bedrock workloads, {iso_utc(start)[:10]} to {iso_utc(end)[:10]} (monthly figures):"
    )
    for w in workloads:
        bedrock = "unpriced" if w.bedrock_monthly_usd is None else f"${w.bedrock_monthly_usd:,}"
        click.echo(
            f"  {w.team:<14} {w.model_id:<50} {w.region:<12} {w.tokens_per_month:>16,} tokens  Bedrock {bedrock}: {w.verdict}"
        )
    if not workloads:
        click.echo("  no Bedrock usage in this window")
    click.echo("Endpoint hints:")
    for h in sorted(hints, key=lambda item: -item.monthly_saving_usd):
        click.echo(
            f"  {h.team:<14} {h.endpoint_name:<40} save ${h.monthly_saving_usd:,}/month: {h.suggestion}"
        )
    if not hints:
        click.echo(
            "  none: every endpoint looks right-sized for its traffic (or has no comparable model configured)"
        )
    click.echo(
        "Assumptions: `--format json` lists them for every figure; change them under `advisor` in the config."
    )


def _require_order(start: Any, end: Any) -> None:
    """Refuse a window that ends before it starts (a usage error, exit 2)."""
    if start and end and end <= start:
        raise click.UsageError("--end must be after --start")


def _scope_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--team, --account and --region, each repeatable."""
    command = click.option(
        "--region", "regions", multiple=True, help="Only this region (repeatable)."
    )(command)
    command = click.option(
        "--account", "accounts", multiple=True, help="Only this account id (repeatable)."
    )(command)
    return click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")(
        command
    )


def _output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format csv|json and -o FILE."""
    command = click.option(
        "-o", "--output", "path", help="Write to this file instead of standard output."
    )(command)
    return click.option(
        "--format", "fmt", type=click.Choice(sorted(WRITERS)), default="csv", show_default=True
    )(command)


def _write_export(
    records: Iterable[dict[str, Any]], columns: tuple[str, ...], fmt: str, path: str | None
) -> None:
    """Write an export to standard output or, whole or not at all, to a file."""
    with output(path, sys.stdout) as out:
        count = WRITERS[fmt](records, columns, out)
    if path and path != "-":
        click.echo(f"wrote {count} row(s) to {path}", err=True)


@main.group()
def export() -> None:
    """Export stored data as CSV or JSON."""


@export.command("bedrock-usage")
@click.option("--start", callback=_parse_time, help="First hour to include (ISO 8601, UTC).")
@click.option("--end", callback=_parse_time, help="Hours before this time are included.")
@_scope_options
@_output_options
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
    _require_order(start, end)
    sessions = _app(ctx).database()
    with sessions() as session:
        rows = bedrock_usage(session, start, end, list(teams), list(accounts), list(regions))
        _write_export((bedrock_usage_record(row) for row in rows), BEDROCK_USAGE_COLUMNS, fmt, path)


@export.command("endpoints")
@click.option(
    "--start",
    callback=_parse_time,
    help="Sum hours, invocations and cost from this hour (ISO 8601, UTC).",
)
@click.option(
    "--end",
    callback=_parse_time,
    help="Sum up to this time; idle hours are the idle streak as of it.",
)
@_scope_options
@_output_options
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

    _require_order(start, end)
    sessions = _app(ctx).database()
    with sessions() as session:
        rows = endpoint_summaries(session, start, end, list(teams), list(accounts), list(regions))
        _write_export((endpoint_record(row) for row in rows), ENDPOINT_COLUMNS, fmt, path)


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_timestamp(value).date()
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@export.command("costs")
@click.option("--start", callback=_parse_day, help="First day to include (YYYY-MM-DD, UTC).")
@click.option(
    "--end", callback=_parse_day, help="Days before this day are included (YYYY-MM-DD, UTC)."
)
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")
@click.option("--account", "accounts", multiple=True, help="Only this account id (repeatable).")
@click.option(
    "--service", "services", multiple=True, help="Only this Cost Explorer service (repeatable)."
)
@_output_options
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

    _require_order(start, end)
    sessions = _app(ctx).database()
    with sessions() as session:
        rows = cost_lines(session, start, end, list(teams), list(accounts), list(services))
        _write_export((cost_record(row) for row in rows), COST_COLUMNS, fmt, path)


@main.command()
@click.option(
    "--aws-forecast",
    is_flag=True,
    help="Also ask Cost Explorer's GetCostForecast for the rest of the month ($0.01 a request, one per team and account).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
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
            "crosses_on": use.projection.crosses_on.isoformat()
            if use.projection.crosses_on
            else None,
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
    click.echo(
        f"{'team':<16}{'service':<24}{'budget':>12}{'spent':>12}{'used':>8}{'projected':>12}{'proj.':>8}  {'crosses on':<11} method"
    )
    for row in rows:
        used = f"{float(row['used']):.0%}" if row["used"] is not None else "-"
        projected_use = (
            f"{float(row['projected_use']):.0%}" if row["projected_use"] is not None else "-"
        )
        click.echo(
            f"{row['team']:<16}{row['service'][:23]:<24}{row['budget_usd'] or '-':>12}{row['spent_usd']:>12}{used:>8}"
            f"{row['projected_usd']:>12}{projected_use:>8}  {row['crosses_on'] or '-':<11} {row['method']}"
        )


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address of the /healthz and /metrics endpoint (0.0.0.0 in a container).",
)
@click.option(
    "--port",
    default=9108,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the /healthz and /metrics endpoint (0: any free port).",
)
@click.pass_context
def run(ctx: click.Context, host: str, port: int) -> None:
    """Run the service: scheduled collectors and alert evaluation, until SIGTERM.

    Each collector runs at its `collection.<source>.interval` (aligned: Bedrock at :05 past the
    hour, SageMaker at :07, costs every 6 hours at :20), the alert rules every `alerts.interval`,
    and every job once at start. Several processes may share one Postgres database: each
    target is claimed with an advisory lock, so none runs twice at once. On SIGTERM the running
    jobs finish their current target and the process exits 0.
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
        run_until_signalled(_app(ctx), host, port)
    except ListenError as exc:
        raise Failure(str(exc)) from None


@main.command()
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
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address the dashboard listens on."
)
@click.option(
    "--port",
    default=8050,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port the dashboard listens on.",
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


@main.command("dashboard")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback should sit behind auth or a proxy.",
)
@click.option(
    "--port",
    default=8050,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.pass_context
def dashboard_command(ctx: click.Context, host: str, port: int) -> None:
    """Serve the dashboard (auth from GENAI_MONITOR_DASHBOARD_USER/_PASSWORD or _TRUSTED_HEADER)."""
    from dashboard.app import auth_from_env
    from monitor.dashboard import create_app, serve

    app = _app(ctx)
    app.database()  # the config loads and the schema is current before anything is served
    auth = auth_from_env()
    if host not in {"127.0.0.1", "localhost", "::1"} and not auth.enabled:
        log.warning(
            "the dashboard listens on %s without authentication: set GENAI_MONITOR_DASHBOARD_USER/_PASSWORD or put it behind an SSO proxy",
            host,
        )
    click.echo(
        f"dashboard on http://{host}:{port}/" + (" (authentication on)" if auth.enabled else ""),
        err=True,
    )
    serve(create_app(app.settings.database_url, app.config, auth=auth), host, port)


@main.group()
def report() -> None:
    """Reports for people: the managers' weekly digest."""


@report.command("weekly")
@click.option("--week", help="ISO week, e.g. 2026-W07 (default: the last complete week).")
@click.option(
    "-o",
    "--output",
    "path",
    help="Write the HTML digest to this file (default: standard output, unless --email).",
)
@click.option(
    "--email",
    "send",
    is_flag=True,
    help="E-mail the digest to every `email` notifier of the config.",
)
@click.pass_context
def report_weekly(ctx: click.Context, week: str | None, path: str | None, send: bool) -> None:
    """This week against the week before per team and model, top movers, budgets and alerts, as one HTML file."""
    from monitor.report import (
        ReportError,
        digest_email,
        email_notifiers,
        report_week,
        send_email,
        weekly_digest,
    )

    app = _app(ctx)
    try:
        monday = report_week(week, utcnow())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None
    targets = email_notifiers(app.config) if send else {}
    if send and not targets:
        raise BadConfig("--email needs an `email` notifier under notifiers in the config")
    data, html, text = weekly_digest(app.database(), monday, utcnow())
    if path and path != "-":
        Path(path).write_text(html, encoding="utf-8")
        click.echo(f"wrote the {data.week} digest to {path}", err=True)
    elif not send or path == "-":
        click.echo(html, nl=False)
    failed = []
    for name, settings in targets.items():
        try:
            send_email(
                name, settings, digest_email(settings, f"GenAI spend, week {data.week}", html, text)
            )
            click.echo(
                f"e-mailed the {data.week} digest to {', '.join(settings.to)} ({name})", err=True
            )
        except ReportError as exc:
            failed.append(str(exc))
    if failed:
        raise Failure("; ".join(failed))


@main.group("alerts")
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

    app = _app(ctx)
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
        f"{summary.count('resolved')} resolved, {summary.count('notify')} notification(s) queued"
        + (
            ""
            if dry_run
            else f", {report.delivered} delivered, {report.failed} failed (retried later)"
        )
    )
    for error in sorted(set(report.errors)):
        click.echo(f"delivery failed: {error}", err=True)


@alerts_group.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["pending", "firing", "silenced", "resolved"]),
    help="Only these states (repeatable; default: all open ones).",
)
@click.option("--all", "show_all", is_flag=True, help="Every state, resolved included.")
@click.pass_context
def alerts_list(ctx: click.Context, states: tuple[str, ...], show_all: bool) -> None:
    """List alerts, newest first."""
    from core.queries import alert_rows

    chosen = None if show_all else list(states or ("pending", "firing", "silenced"))
    with _app(ctx).database()() as session:
        rows = alert_rows(session, chosen)
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
    "--for", "duration", required=True, callback=_parse_since, help="How long, e.g. 4h or 2d."
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
    from core.models import Silence

    app = _app(ctx)
    known = {r.rule_name for r in app.config.alerts.rules}
    if rule is not None and rule not in known:
        raise click.BadParameter(
            f"no rule named {rule!r}; the config has: {', '.join(sorted(known)) or 'none'}",
            param_hint="--rule",
        )
    now = utcnow()
    with app.database().begin() as session:
        entry = Silence(
            rule=rule,
            subject_pattern=subject,
            team=team,
            starts_at=now,
            ends_at=now + duration,
            created_by=created_by,
            comment=comment,
        )
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
@click.option(
    "--start", callback=_parse_time, help="Alerts opened at or after this time (ISO 8601, UTC)."
)
@click.option("--end", callback=_parse_time, help="Alerts opened before this time.")
@_output_options
@click.pass_context
def export_alerts(
    ctx: click.Context, start: datetime | None, end: datetime | None, fmt: str, path: str | None
) -> None:
    """Alert episodes with their state and when they were notified and resolved."""
    from core.queries import alert_rows
    from monitor.export import ALERT_COLUMNS, alert_record

    sessions = _app(ctx).database()
    with sessions() as session:
        _write_export(
            (alert_record(a) for a in alert_rows(session, None, start, end)),
            ALERT_COLUMNS,
            fmt,
            path,
        )


if __name__ == "__main__":  # pragma: no cover
    main()
