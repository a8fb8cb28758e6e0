"""`genai-monitor collect`: a one-shot backfill of a window, or the regular incremental cycle."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime
from typing import Any

import click

from collector.runner import CycleResult, Runner, TargetPlan, Window
from core import registry
from core.timeutil import iso_utc, utcnow
from monitor import signals
from monitor.cli.base import Failure, app_of, parse_since, parse_time, require_order
from monitor.context import AppContext


def _cli_name(source: str) -> str:
    """A source as the command line spells it: `provisioned-throughput` for `provisioned_throughput`."""
    return source.replace("_", "-")


class SourceChoice(click.Choice):  # type: ignore[type-arg]
    """`collect`'s SOURCE: every registered source and `all`, read when the command runs.

    Sources are spelt with hyphens (the config key's underscores are accepted too).
    """

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self) -> tuple[str, ...]:
        """The registered sources and ``all``."""
        return (*(_cli_name(name) for name in registry.sources.names()), "all")

    @choices.setter
    def choices(self, _value: object) -> None:
        """The choices come from the registry; what click's constructor sets is ignored."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The registered name of the chosen source (or ``all``)."""
        chosen = super().convert(_cli_name(str(value)), param, ctx)
        names = {_cli_name(name): name for name in registry.sources.names()}
        return names.get(chosen, chosen)


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
        if start >= utcnow():
            raise click.UsageError("--start is in the future: there is nothing to collect yet")
        end = end or utcnow()
        require_order(start, end)
    return start, end


@click.command()
@click.argument("source", type=SourceChoice())
@click.option(
    "--since", callback=parse_since, help="Backfill this much history up to now, e.g. 7d or 36h."
)
@click.option(
    "--start",
    callback=parse_time,
    help="Backfill from this time (ISO 8601, UTC unless an offset is given).",
)
@click.option("--end", callback=parse_time, help="Backfill up to this time (default: now).")
@click.pass_context
def collect(
    ctx: click.Context, source: str, since: Any, start: datetime | None, end: datetime | None
) -> None:
    """Collect SOURCE from AWS into the database.

    With --since or --start/--end: a one-shot backfill of that window. Without: the regular
    incremental cycle, from where the last run stopped (re-reading the provisional newest
    hours), which also fills any gap left while the collector was down. `collection.workers`
    targets are collected at once. SIGTERM or Ctrl-C stops after the windows being written
    (exit 0, or 130 for Ctrl-C); a second one stops at once.
    """
    window_start, window_end = _backfill_window(since, start, end)
    _collect(app_of(ctx), source.replace("-", "_"), window_start, window_end)


def _collect(
    app: AppContext, source: str, start: datetime | None = None, end: datetime | None = None
) -> None:
    stop = signals.install()
    sessions = app.database()
    sources = app.sources()
    chosen = list(sources) if source == "all" else [source]
    targets = app.targets()
    # `collection.workers` targets at once; each target's windows in order, one at a time
    runner = Runner(
        sessions, app.clients.counter, stop=stop, workers=app.config.collection.worker_count
    )
    results = []
    for name in chosen:
        if stop.is_set():
            break
        plans = runner.plan(sources[name], sources[name].targets(targets), start, end)
        results.append(_run_with_progress(runner, sources[name], plans))
        _report(results[-1])
    if any(result.failed for result in results):
        raise Failure(
            "some targets failed; what was collected is kept, and the next run retries the rest"
        )
    if stop.is_set():
        _stopped(results)


def _stopped(results: list[CycleResult]) -> None:
    """Say where a signal stopped the collection; exit 0 for SIGTERM, 130 for Ctrl-C."""
    written = [o.written_until for r in results for o in r.outcomes if o.written_until]
    after = f"after the window ending {iso_utc(max(written))}" if written else "before any window"
    click.echo(
        f"collect: stopped by {signals.received_name()} {after}; what was written is kept, "
        "and running the command again continues",
        err=True,
    )
    if signals.received() == signal.SIGINT:
        sys.exit(130)


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
