"""The demo, composed: the `demo` package's world seeded into a local AWS stand-in (moto's server,
in process), collected by the real collectors into SQLite and evaluated by the real alert rules.

`build_demo` does all of it and returns where the data went; `summary_lines` is what
`genai-monitor demo` prints before serving the dashboard. The world itself, the stand-ins and
the seeding live in `demo/`, which the tests and the benchmarks use too.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from core.alert_state import OPEN_STATES
from core.aws import ClientFactory
from core.settings import EnvSettings, MonitorConfig
from core.timeutil import utcnow
from demo.bedrock_control import BedrockControlState
from demo.bedrock_world import seed_bedrock_kinds
from demo.config import demo_config
from demo.cost_explorer import cost_explorer
from demo.cur import seed_cur
from demo.genai_seed import seed_genai
from demo.generate import generate, history_start
from demo.principal_traffic import seed_invocation_logs
from demo.seed import seed_endpoints, seed_metrics
from demo.standins import local_aws
from demo.world import DEFAULT_DAYS
from monitor.demo_actions import act_over_history

if TYPE_CHECKING:
    from monitor.context import AppContext

__all__ = ["DemoResult", "build_demo", "summary_lines"]

log = logging.getLogger(__name__)


@dataclass
class DemoResult:
    """Where the demo's data went and what happened on the way."""

    database_url: str
    config: MonitorConfig
    config_path: Path
    now: datetime
    datapoints: int
    endpoints: int
    rows: dict[str, int]
    failed: list[str]
    alert_changes: dict[str, int]
    notifications_delivered: int
    seconds: dict[str, float]


class Laps:
    """Seconds spent per named step, measured one after the other."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._clock = time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = now - self._clock
        self._clock = now


def fresh_sqlite(directory: Path) -> str:
    """The URL of an empty SQLite database file under ``directory`` (a stale one is removed)."""
    database_file = (directory / "demo.db").resolve()
    for stale in (
        database_file,
        database_file.with_name("demo.db-wal"),
        database_file.with_name("demo.db-shm"),
    ):
        stale.unlink(missing_ok=True)
    return f"sqlite:///{database_file}"


@dataclass
class Collected:
    """What collecting and evaluating the demo produced."""

    rows: dict[str, int]
    failed: list[str]
    alert_changes: dict[str, int]
    notifications_delivered: int


def collect_and_evaluate(
    app: AppContext,
    clock: Callable[[], datetime],
    progress: Callable[[str], None],
    lap: Laps,
) -> Collected:
    """Run every source once with the real collectors, then one alert cycle."""
    from functools import partial

    from alerts.notifiers import build_notifiers
    from alerts.service import cycle
    from alerts.snapshot_source import build_snapshot
    from collector.runner import Runner

    sessions = app.database()
    runner = Runner(sessions, app.clients.counter, clock)
    targets = app.targets()
    rows: dict[str, int] = {}
    failed: list[str] = []
    for name, source in app.sources().items():
        plans = runner.plan(source, source.targets(targets))
        result = runner.run(source, plans)
        rows[name] = result.rows
        failed += [
            f"{name} {outcome.target.label}: {outcome.message}"
            for outcome in result.outcomes
            if outcome.status != "succeeded"
        ]
        progress(f"collected {name}: {result.rows:,} rows over {len(plans)} target(s)")
        lap(f"collect {name}")
    channels = build_notifiers(app.config.notifiers, app.clients)
    summary, report = cycle(
        sessions, app.config, partial(build_snapshot, app.config), channels, clock
    )
    lap("alerts")
    changes = {what: summary.count(what) for what in ("opened", "fired", "resolved", "notify")}
    return Collected(rows, failed, changes, report.delivered)


def build_demo(
    directory: Path,
    days: int = DEFAULT_DAYS,
    database_url: str | None = None,
    progress: Callable[[str], None] = log.info,
    now: datetime | None = None,
) -> DemoResult:
    """Start the stand-in, seed it, collect everything into the database, evaluate the alerts.

    The database (SQLite under ``directory`` unless ``database_url`` is given) is replaced.
    The stand-in is stopped before returning: the dashboard needs only the database. ``now``
    pins the demo's clock (tests); by default it is the real time.
    """
    from monitor.context import AppContext

    lap = Laps()
    directory.mkdir(parents=True, exist_ok=True)
    pinned = now
    now = pinned or utcnow()

    def clock() -> datetime:
        return pinned or utcnow()

    world = generate(now, days)
    config_path = directory / "genai-monitor.yaml"
    config_path.write_text(demo_config(world, days), encoding="utf-8")
    database_url = database_url or fresh_sqlite(directory)
    lap("generate")
    bedrock = BedrockControlState()
    with local_aws(bedrock) as url, cost_explorer(world):
        progress(f"local AWS stand-in (moto) at {url}")
        seeding = ClientFactory()
        datapoints = seed_metrics(world, seeding)
        datapoints += seed_bedrock_kinds(now, bedrock, seeding)
        endpoints = seed_endpoints(now, seeding)
        cur_lines = seed_cur(world, seeding)
        # vector stores, Mantle traffic and an endpoint with inference components
        datapoints += seed_genai(now, history_start(now, days), seeding)
        log_records = seed_invocation_logs(world, seeding)
        progress(
            f"seeded {datapoints:,} CloudWatch datapoints over {days} days"
            f", {endpoints} SageMaker endpoints, a CUR 2.0 export of {cur_lines:,} lines"
            f" and {log_records:,} model invocation log records"
        )
        lap("seed")
        app = AppContext(EnvSettings(database_url, config_path, config_path_explicit=True))
        collected = collect_and_evaluate(app, clock, progress, lap)
        act_over_history(app, now, progress)
        lap("actions")
    app.engine.dispose()
    return DemoResult(
        database_url,
        app.config,
        config_path,
        now,
        datapoints,
        endpoints,
        collected.rows,
        collected.failed,
        collected.alert_changes,
        collected.notifications_delivered,
        lap.seconds,
    )


def summary_lines(result: DemoResult) -> list[str]:
    """What a newcomer should see after the demo: spend against budget, idle endpoints, alerts."""
    from core.db import make_engine, session_factory
    from core.queries.alerts import alert_rows
    from core.queries.budgets import budget_use
    from core.queries.costs import bedrock_reconciliation
    from core.queries.endpoints import endpoint_summaries

    engine = make_engine(result.database_url)
    lines: list[str] = []
    try:
        with session_factory(engine)() as session:
            today = result.now.astimezone(UTC).date()
            estimated: dict[str, Decimal] = defaultdict(Decimal)
            billed: dict[str, Decimal] = defaultdict(Decimal)
            for line in bedrock_reconciliation(
                session, today.replace(day=1), today + timedelta(days=1)
            ):
                estimated[line.team] += line.estimated_usd
                billed[line.team] += line.billed_usd
            lines.append(
                "This month (USD): Bedrock estimated from token metrics vs billed, and all GenAI spend against budget"
            )
            lines.append(
                f"{'team':<14}{'Bedrock est.':>14}{'Bedrock bill':>14}{'GenAI bill':>12}{'budget':>10}{'used':>7}{'projected':>12}"
            )
            for use in budget_use(session, result.now):
                if use.service != "all":
                    continue
                used = f"{use.used:.0%}" if use.used is not None else "-"
                lines.append(
                    f"{use.team:<14}{estimated[use.team]:>14,.2f}{billed[use.team]:>14,.2f}{use.spent_usd:>12,.2f}"
                    f"{use.budget_usd:>10,.0f}{used:>7}{use.projection.projected_usd:>12,.2f}"
                )
            if estimated.get("unattributed") or billed.get("unattributed"):
                lines.append(
                    f"{'unattributed':<14}{estimated['unattributed']:>14,.2f}{billed['unattributed']:>14,.2f}"
                )
            lines.append("")
            lines.append(f"{'endpoint':<28}{'team':<11}{'type':<11}{'idle h':>8}{'idle cost':>11}")
            for endpoint in endpoint_summaries(session, end=result.now, include_deleted=False):
                idle = "-" if endpoint.idle_hours is None else f"{endpoint.idle_hours:,.0f}"
                cost = "-" if endpoint.idle_cost_usd is None else f"{endpoint.idle_cost_usd:,.2f}"
                lines.append(
                    f"{endpoint.endpoint_name:<28}{endpoint.team:<11}{endpoint.endpoint_type:<11}{idle:>8}{cost:>11}"
                )
            lines.append("")
            alerts = alert_rows(session, list(OPEN_STATES))
            lines.append(
                f"{len(alerts)} open alert(s), {result.notifications_delivered} notification(s) delivered to the log channel:"
            )
            lines += [
                f"  {alert.state:<9}{alert.severity:<9}{alert.rule:<17}{alert.message}"
                for alert in alerts
            ]
    finally:
        engine.dispose()
    return lines
