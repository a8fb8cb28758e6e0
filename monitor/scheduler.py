"""`genai-monitor run`: the long-running service. APScheduler runs one job per collector and one
for alert evaluation; /healthz and /metrics are served alongside.

Several `run` processes may share one database: each cycle of a job offers its targets
(source x account x region, or the one alert evaluation) in the ``work_claims`` table, and the
processes take them one at a time under a lease they renew after every window (core.claims);
inside a process, `collection.workers` threads take claims alongside.
A finished target is not taken again in that cycle, so no target runs twice in a cycle, and
between them the processes cover every target; one that dies leaves a lease that runs out.
Jobs fire on boundaries aligned to the epoch (bedrock at :05 past the hour, ...), and the
boundary a run belongs to names its cycle, so replicas agree on it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor as WorkerPool
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.exc import SQLAlchemyError

from collector.runner import Runner, Source
from core import registry
from core.aws import AwsError, Target
from core.claims import NO_TARGET, Claim, Claims, LeaseLost
from core.db import DatabaseError, error_reason, ping
from core.settings import MonitorConfig
from core.timeutil import iso_utc, utcnow
from monitor import signals
from monitor.context import AppContext
from monitor.health import HealthServer, HealthState, ServiceMetrics
from monitor.maintenance import maintain

log = logging.getLogger("genai-monitor.run")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ALERTS_JOB = "alerts"
PRICES_JOB = "prices"
ACTIONS_JOB = "actions"
MAINTENANCE_JOB = "maintenance"  # partitions ahead and retention, daily
# how long the claims of past cycles are kept for operators to read
CLAIM_HISTORY = timedelta(days=7)


class ListenError(Exception):
    """The health and metrics endpoint cannot listen on the address it was given."""


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id (the source name, or ``alerts``), interval and offset."""

    id: str
    interval: timedelta
    offset: timedelta = timedelta(0)
    # the Price List refresh waits for its first boundary: `prices refresh` reads it at set-up
    run_at_start: bool = True

    @property
    def misfire_grace_seconds(self) -> int:
        """A run late by up to half an interval still runs; a later one waits for the next."""
        return max(1, int(self.interval.total_seconds() / 2))


def job_specs(config: MonitorConfig, sources: Mapping[str, Source]) -> list[JobSpec]:
    """One job per collector source (its configured interval) and one for the alert rules."""
    specs = []
    for name, source in sources.items():
        interval = source.settings.interval
        # a registered source's offset past the boundary; sub-hourly jobs fire on the boundary
        offset = registry.sources[name].offset if interval >= timedelta(hours=1) else timedelta(0)
        specs.append(JobSpec(name, interval, offset))
    specs.append(JobSpec(ALERTS_JOB, config.alerts.interval))
    if config.actions.enabled and config.actions.policies:
        # the policies run on the alerts' cadence (a notice's hours are many cycles long)
        specs.append(JobSpec(ACTIONS_JOB, config.alerts.interval))
    specs.append(JobSpec(PRICES_JOB, config.pricing.refresh.interval, run_at_start=False))
    specs.append(JobSpec(MAINTENANCE_JOB, timedelta(days=1)))
    return specs


def next_boundary(
    after: datetime, interval: timedelta, offset: timedelta = timedelta(0)
) -> datetime:
    """The first ``EPOCH + offset + k * interval`` strictly after ``after``."""
    step = interval.total_seconds()
    elapsed = (after - EPOCH - offset).total_seconds()
    return EPOCH + offset + timedelta(seconds=(elapsed // step + 1) * step)


class AlignedInterval(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no types
    """Fires once at start, then on every boundary ``EPOCH + offset + k * interval``."""

    def __init__(
        self, interval: timedelta, offset: timedelta = timedelta(0), run_at_start: bool = True
    ) -> None:
        self.interval = interval
        self.offset = offset
        self.run_at_start = run_at_start

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        """Now for the first run, then the next aligned boundary."""
        if previous_fire_time is None:
            return now if self.run_at_start else next_boundary(now, self.interval, self.offset)
        return next_boundary(previous_fire_time, self.interval, self.offset)

    def __str__(self) -> str:
        return f"every {self.interval} at +{self.offset}"


def cycle_start(at: datetime, interval: timedelta, offset: timedelta = timedelta(0)) -> datetime:
    """The boundary the cycle running at ``at`` belongs to: replicas agree on it."""
    return next_boundary(at, interval, offset) - interval


class Service:
    """The scheduled jobs of one `run` process, its health state and metrics."""

    def __init__(self, app: AppContext, clock: Callable[[], datetime] = utcnow) -> None:
        self.app = app
        self.clock = clock
        self.config = app.config
        self.sessions = app.database()
        self.engine = app.engine
        self.sources = app.sources()
        self.specs = job_specs(self.config, self.sources)
        self._specs_by_id = {spec.id: spec for spec in self.specs}
        self.claims = Claims(self.engine)
        self.stopping = threading.Event()
        self.runner = Runner(self.sessions, app.clients.counter, clock, self.stopping)
        self.state = HealthState({spec.id: spec.interval.total_seconds() for spec in self.specs})
        self.metrics = ServiceMetrics(app.clients.counter, self.sessions)
        self._channels: Mapping[str, Any] | None = None
        self._perform: Any = None  # the action engine, built when a policy first acts
        # SQLite takes one writer at a time: its jobs take turns (they still start on time)
        self._serial = threading.Lock() if self.engine.dialect.name != "postgresql" else None
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(len(self.specs))}, timezone=UTC
        )
        for spec in self.specs:
            work = self._work(spec.id)
            self.scheduler.add_job(
                self._tracked,
                trigger=AlignedInterval(spec.interval, spec.offset, spec.run_at_start),
                args=[spec.id, work],
                id=spec.id,
                name=f"{spec.id} every {spec.interval}",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=spec.misfire_grace_seconds,
            )
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED)

    def _work(self, job: str) -> Callable[[], str]:
        """What a job does: evaluate the alerts, refresh the prices, or collect a source."""
        if job == ALERTS_JOB:
            return self.evaluate_alerts
        if job == PRICES_JOB:
            return self.refresh_prices
        if job == ACTIONS_JOB:
            return self.run_policies
        if job == MAINTENANCE_JOB:  # idempotent, and serialised over replicas by an advisory lock
            return partial(maintain, self.engine, self.config, self.clock)
        return partial(self.collect, job)

    def collect(self, name: str) -> str:
        """One cycle of one source: the workers take the cycle's free targets until none is left."""
        source = self.sources[name]
        spec = self._specs_by_id[name]
        cycle = cycle_start(self.clock(), spec.interval, spec.offset)
        try:
            targets = {(t.account_id, t.region): t for t in source.targets(self.app.targets())}
        except AwsError as exc:
            log.error("%s: cannot resolve the targets: %s", name, exc)
            self.metrics.collector_runs.labels(name, "failed").inc()
            return "failed"
        self.claims.release_abandoned(name)
        self.claims.offer(name, cycle, list(targets))
        self.claims.prune(name, cycle - CLAIM_HISTORY)
        workers = max(1, min(self.config.collection.worker_count, len(targets)))
        if workers == 1:
            return self._take_claims(source, cycle, targets)
        with WorkerPool(workers, thread_name_prefix=f"collect-{name}") as pool:
            running = [
                pool.submit(self._take_claims, source, cycle, targets) for _ in range(workers)
            ]
            # a worker's DatabaseError is raised once the others have run out of claims
            outcomes = [worker.result() for worker in running]
        return "partial" if "partial" in outcomes else "succeeded"

    def _take_claims(
        self, source: Source, cycle: datetime, targets: Mapping[tuple[str, str], Target]
    ) -> str:
        """One worker: take the cycle's free targets one by one and collect them."""
        name = source.name
        outcome = "succeeded"
        lease = source.settings.claim_lease
        while not self.stopping.is_set():
            # a target an earlier cycle left behind (held for another cycle then) is caught up
            # on while that cycle is less than a lease old
            claim = self.claims.take(name, cycle - lease, self.clock(), lease)
            if claim is None:
                break
            target = targets.get((claim.account_id, claim.region))
            if target is None:  # offered by a replica with another config
                self.claims.finish(claim, "skipped", self.clock())
                continue
            if self._collect_target(source, target, claim) == "failed":
                outcome = "partial"
        return outcome

    def _collect_target(self, source: Source, target: Target, claim: Claim) -> str:
        """Collect one claimed target, renewing the claim's lease after every window.

        A database error ends the job's cycle (the caller logs it); the claim's lease runs out.
        """
        lease = source.settings.claim_lease
        claimed = time.time()
        status, rows = "failed", 0
        try:
            result = self.runner.run(
                source,
                self.runner.plan(source, [target]),
                lambda _plan, _window: self.claims.renew(claim, self.clock(), lease),
            )
            status = result.outcomes[0].status if result.outcomes else "succeeded"
            rows = result.rows
        except LeaseLost as exc:
            log.warning("%s %s: %s", source.name, target.label, exc)
            status = "lost"
        finally:
            # the claim's span and cycle, for operators and for the tests that count duplicates
            log.info(
                "%s %s: claimed from %.6f to %.6f by pid %d for cycle %s: %s, %d row(s)",
                source.name,
                target.label,
                claimed,
                time.time(),
                os.getpid(),
                iso_utc(claim.cycle_start),
                status,
                rows,
            )
        self.metrics.collector_runs.labels(source.name, status).inc()
        self.metrics.rows_written.labels(source.name).inc(rows)
        if status == "stopped":
            self.claims.release(claim)  # another replica continues the target in this cycle
        elif status != "lost":
            self.claims.finish(claim, status, self.clock())
        return status

    def _claim_cycle(self, job: str) -> tuple[datetime, Claim | None]:
        """The current cycle of a job that is one piece of work per cycle (alerts, prices), and
        this process's claim on it (None: another process has it)."""
        interval = self._specs_by_id[job].interval
        now = self.clock()
        this_cycle = cycle_start(now, interval)
        self.claims.release_abandoned(job)
        self.claims.offer(job, this_cycle, [NO_TARGET])
        self.claims.prune(job, this_cycle - CLAIM_HISTORY)
        return this_cycle, self.claims.take(job, this_cycle, now, interval)

    def evaluate_alerts(self) -> str:
        """Evaluate the rules and deliver what is due, once per cycle over every process."""
        from alerts.notifiers import build_notifiers
        from alerts.service import cycle
        from alerts.snapshot_source import build_snapshot

        if self._channels is None:
            self._channels = build_notifiers(self.config.notifiers, self.app.clients)
        this_cycle, claim = self._claim_cycle(ALERTS_JOB)
        if claim is None:
            log.info("alerts: cycle %s is evaluated by another process", iso_utc(this_cycle))
            return "held_elsewhere"
        try:
            with self.claims.kept(claim, self._specs_by_id[ALERTS_JOB].interval, self.clock):
                summary, report = cycle(
                    self.sessions,
                    self.config,
                    partial(build_snapshot, self.config),
                    self._channels,
                    self.clock,
                )
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot evaluate the alert rules: {error_reason(exc)}") from exc
        outcome = "succeeded" if report.failed == 0 else "partial"
        self.claims.finish(claim, outcome, self.clock())
        self.metrics.notifications_delivered.inc(report.delivered)
        self.metrics.notification_failures.inc(report.failed)
        log.info(
            "alerts: cycle %s: %d opened, %d fired, %d resolved; "
            "%d notification(s) delivered, %d failed",
            iso_utc(this_cycle),
            summary.count("opened"),
            summary.count("fired"),
            summary.count("resolved"),
            report.delivered,
            report.failed,
        )
        return outcome

    def refresh_prices(self) -> str:
        """Read the AWS Price List into dated price points, once per cycle over every process;
        unavailable, the stored and shipped prices stay in use (one warning)."""
        from monitor.prices import PriceListUnavailable
        from monitor.prices import refresh_prices as refresh

        _cycle, claim = self._claim_cycle(PRICES_JOB)
        if claim is None:
            return "held_elsewhere"
        try:
            with self.claims.kept(claim, self._specs_by_id[PRICES_JOB].interval, self.clock):
                report = refresh(self.app)
            outcome = "succeeded"
            log.info("prices: %s", report.summary())
        except PriceListUnavailable as exc:
            outcome = "failed"
            log.warning("prices: %s", exc)
        self.claims.finish(claim, outcome, self.clock())
        return outcome

    def run_policies(self) -> str:
        """Run every action policy once per cycle over every process (each claimed apart)."""
        from monitor.policies import LazyPerform, engine_performer, run_cycle

        if self._perform is None:
            self._perform = LazyPerform(
                partial(
                    engine_performer, self.sessions, self.app.clients, self.config, clock=self.clock
                )
            )
        interval = self._specs_by_id[ACTIONS_JOB].interval
        now = self.clock()
        this_cycle = cycle_start(now, interval)
        try:
            report = run_cycle(
                self.sessions, self._perform, self.config, self.claims, now, this_cycle, interval
            )
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot run the action policies: {error_reason(exc)}") from exc
        log.info(
            "actions: cycle %s: ran %s, held elsewhere %s; %d announced, %d acted, %d cancelled",
            iso_utc(this_cycle),
            ", ".join(report.ran) or "none",
            ", ".join(report.held_elsewhere) or "none",
            report.count("announce"),
            report.count("act"),
            report.count("cancel"),
        )
        failed = [r for r in report.results if r.outcome in ("failed", "denied", "refused")]
        return "partial" if failed else ("held_elsewhere" if not report.ran else "succeeded")

    def _tracked(self, job: str, work: Callable[[], str]) -> None:
        """Run one job, recording it for /healthz and /metrics; a lost database is one log line."""
        self.state.started(job, self.clock())
        began = time.monotonic()
        outcome = "error"  # an exception APScheduler logs with its traceback: a bug
        try:
            with self._serial or nullcontext():
                outcome = work()
        except (DatabaseError, SQLAlchemyError) as exc:
            outcome = "failed"
            reason = str(exc) if isinstance(exc, DatabaseError) else error_reason(exc)
            log.error("%s: the database failed: %s; retrying next cycle", job, reason)
        finally:
            self.state.finished(job, self.clock(), outcome)
            self.metrics.job_runs.labels(job, outcome).inc()
            self.metrics.job_duration.labels(job).observe(time.monotonic() - began)
            if outcome == "succeeded":
                self.metrics.job_last_success.labels(job).set(time.time())
            # from the spec, not scheduler.get_job(): shutdown(wait=True) holds the scheduler's job
            # store lock while it waits for this very job, so asking the scheduler would deadlock
            spec = self._specs_by_id[job]
            self.state.scheduled(job, next_boundary(self.clock(), spec.interval, spec.offset))

    def _missed(self, event: JobExecutionEvent) -> None:
        log.warning(
            "%s: missed its run at %s (the process was busy or paused); coalesced into the next",
            event.job_id,
            event.scheduled_run_time,
        )

    def database_problem(self) -> str | None:
        """None when the database answers, else why not."""
        try:
            ping(self.engine)
        except DatabaseError as exc:
            return str(exc)
        return None

    def serve(self, stop: threading.Event, host: str = "127.0.0.1", port: int = 9108) -> None:
        """Run the jobs and the health endpoint until ``stop`` is set, then shut down gracefully."""
        try:
            server = HealthServer((host, port), self.state, self.metrics, self.database_problem)
        except OSError as exc:
            raise ListenError(
                f"cannot listen on {host}:{port} for /healthz and /metrics: {exc.strerror or exc}"
            ) from None
        server.start()
        log.info("health on %s/healthz, metrics on %s/metrics", server.url, server.url)
        self.scheduler.start()
        self.state.status = "running"
        for spec in self.specs:
            log.info(
                "job %s: every %s, offset %s past the boundary", spec.id, spec.interval, spec.offset
            )
        try:
            while not stop.wait(0.5):
                pass
            log.info("received %s: stopping after the current window", signals.received_name())
        finally:
            self.state.status = "stopping"
            self.stopping.set()
            log.info("stopping: waiting for the running jobs to finish")
            self.scheduler.shutdown(wait=True)
            server.shutdown()
            server.server_close()
            self.engine.dispose()
            log.info("stopped")


def run_until_signalled(app: AppContext, host: str, port: int) -> None:
    """Build the service and serve until SIGTERM or SIGINT (caught since the process started)."""
    stop = signals.install()
    if not stop.is_set():
        service = Service(app)
        if not stop.is_set():
            service.serve(stop, host, port)
            return
        service.engine.dispose()
    log.info("received %s while starting: stopped", signals.received_name())
