"""`genai-monitor run`: the long-running service. APScheduler runs one job per collector and one
for alert evaluation; /healthz and /metrics are served alongside.

Several `run` processes may share one Postgres database: every collector target (source x
account x region) and the alert cycle is claimed with a Postgres advisory lock before it runs.
A process that finds a target claimed skips it for this cycle, so no target ever runs twice
at the same time, and between them the processes cover every target. Jobs fire on boundaries
aligned to the epoch (bedrock at :05 past the hour, ...), so replicas contend for the same
targets at the same moment instead of drifting into duplicate work.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from collector.runner import Runner, Source
from core import registry
from core.aws import AwsError
from core.db import DatabaseError, ping
from core.settings import MonitorConfig
from core.timeutil import utcnow
from monitor.context import AppContext
from monitor.health import HealthServer, HealthState, ServiceMetrics

log = logging.getLogger("genai-monitor.run")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ALERTS_JOB = "alerts"


class ListenError(Exception):
    """The health and metrics endpoint cannot listen on the address it was given."""


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id (the source name, or ``alerts``), interval and offset."""

    id: str
    interval: timedelta
    offset: timedelta = timedelta(0)

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


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a Postgres advisory lock named ``name``."""
    digest = hashlib.blake2b(f"genai-monitor:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def target_lock_name(source: str, account_id: str, region: str) -> str:
    """The lock a collector target is claimed with."""
    return f"collect:{source}:{account_id}:{region}"


class AdvisoryLocks:
    """Claims on a Postgres database shared by every `run` process (session advisory locks).

    The lock lives on a connection of its own: if the process dies, Postgres drops the
    connection and the lock with it.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def claim(self, name: str) -> Iterator[bool]:
        """Try to take the lock without waiting; yields whether this process holds it."""
        key = lock_key(name)
        connection = self.engine.connect()
        try:
            held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
            connection.commit()
            try:
                yield held
            finally:
                if held:
                    self._release(connection, key)
        finally:
            connection.close()

    @staticmethod
    def _release(connection: Any, key: int) -> None:
        try:
            connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
        except SQLAlchemyError as exc:
            # closing the connection releases the lock; a pooled one would keep it
            log.warning(
                "could not release advisory lock %d (%s): dropping the connection",
                key,
                str(exc).splitlines()[0],
            )
            connection.invalidate()


class LocalLocks:
    """Claims within one process, for SQLite (one process owns an embedded database)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def claim(self, name: str) -> Iterator[bool]:
        """Try to take the lock without waiting; yields whether this thread holds it."""
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()


Locks = AdvisoryLocks | LocalLocks


def locks_for(engine: Engine) -> Locks:
    """Advisory locks on Postgres, in-process locks otherwise."""
    return AdvisoryLocks(engine) if engine.dialect.name == "postgresql" else LocalLocks()


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
        self.locks = locks_for(self.engine)
        self.runner = Runner(self.sessions, app.clients.counter, clock)
        self.state = HealthState({spec.id: spec.interval.total_seconds() for spec in self.specs})
        self.metrics = ServiceMetrics(app.clients.counter, self.sessions)
        self.stopping = threading.Event()
        self._channels: Mapping[str, Any] | None = None
        # SQLite takes one writer at a time: its jobs take turns (they still start on time)
        self._serial = threading.Lock() if self.engine.dialect.name != "postgresql" else None
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(len(self.specs))}, timezone=UTC
        )
        for spec in self.specs:
            work = self.evaluate_alerts if spec.id == ALERTS_JOB else partial(self.collect, spec.id)
            self.scheduler.add_job(
                self._tracked,
                trigger=AlignedInterval(spec.interval, spec.offset),
                args=[spec.id, work],
                id=spec.id,
                name=f"{spec.id} every {spec.interval}",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=spec.misfire_grace_seconds,
            )
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED)

    def collect(self, name: str) -> str:
        """One cycle of one source over every target this process can claim."""
        source = self.sources[name]
        try:
            targets = source.targets(self.app.targets())
        except AwsError as exc:
            log.error("%s: cannot resolve the targets: %s", name, exc)
            self.metrics.collector_runs.labels(name, "failed").inc()
            return "failed"
        outcome = "succeeded"
        for target in targets:
            if self.stopping.is_set():
                log.info("%s: stopping before %s", name, target.label)
                break
            lock = target_lock_name(name, target.account_id, target.region)
            with self.locks.claim(lock) as mine:
                if not mine:
                    log.info(
                        "%s %s: held by another process, skipped this cycle", name, target.label
                    )
                    self.metrics.collector_runs.labels(name, "held_elsewhere").inc()
                    continue
                claimed = time.time()
                status, rows = "failed", 0
                try:
                    result = self.runner.run(source, self.runner.plan(source, [target]))
                    status = result.outcomes[0].status if result.outcomes else "succeeded"
                    rows = result.rows
                except DatabaseError as exc:
                    log.error("%s %s: %s", name, target.label, exc)
                finally:
                    # the claim's span, for operators and for the test that proves no overlap
                    log.info(
                        "%s %s: claimed from %.6f to %.6f by pid %d: %s, %d row(s)",
                        name,
                        target.label,
                        claimed,
                        time.time(),
                        os.getpid(),
                        status,
                        rows,
                    )
            self.metrics.collector_runs.labels(name, status).inc()
            self.metrics.rows_written.labels(name).inc(rows)
            if status == "failed":
                outcome = "partial"
        return outcome

    def evaluate_alerts(self) -> str:
        """Evaluate the rules and deliver what is due, in one process at a time."""
        from alerts.notifiers import build_notifiers
        from alerts.service import cycle
        from alerts.snapshot_source import build_snapshot

        if self._channels is None:
            self._channels = build_notifiers(self.config.notifiers, self.app.clients)
        with self.locks.claim(ALERTS_JOB) as mine:
            if not mine:
                log.info("alerts: being evaluated by another process, skipped this cycle")
                return "held_elsewhere"
            try:
                summary, report = cycle(
                    self.sessions,
                    self.config,
                    partial(build_snapshot, self.config),
                    self._channels,
                    self.clock,
                )
            except SQLAlchemyError as exc:
                log.error("alerts: the database failed: %s", str(exc).splitlines()[0])
                return "failed"
        self.metrics.notifications_delivered.inc(report.delivered)
        self.metrics.notification_failures.inc(report.failed)
        log.info(
            "alerts: %d opened, %d fired, %d resolved; %d notification(s) delivered, %d failed",
            summary.count("opened"),
            summary.count("fired"),
            summary.count("resolved"),
            report.delivered,
            report.failed,
        )
        return "succeeded" if report.failed == 0 else "partial"

    def _tracked(self, job: str, work: Callable[[], str]) -> None:
        """Run one job, recording it for /healthz and /metrics."""
        self.state.started(job, self.clock())
        began = time.monotonic()
        outcome = "error"  # an exception APScheduler logs with its traceback
        try:
            with self._serial or nullcontext():
                outcome = work()
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
    """Build the service and serve until SIGTERM or SIGINT."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    # first, so a signal during start-up is a clean stop too
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    Service(app).serve(stop, host, port)
