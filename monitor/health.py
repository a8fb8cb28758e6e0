"""The running service's `/healthz` and Prometheus `/metrics`, served from a small thread."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.alert_state import AlertState
from core.aws import ApiCallCounter
from core.models import Alert, Notification
from core.timeutil import iso_utc

log = logging.getLogger(__name__)

ALERT_STATES = tuple(AlertState)


@dataclass
class JobRecord:
    """What one scheduled job has done so far in this process."""

    interval_seconds: float
    runs: int = 0
    running: bool = False
    last_outcome: str | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_success_at: datetime | None = None
    next_run_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The record with ISO 8601 UTC times."""

        def when(value: datetime | None) -> str | None:
            return None if value is None else iso_utc(value)

        return {
            "interval_seconds": self.interval_seconds,
            "runs": self.runs,
            "running": self.running,
            "last_outcome": self.last_outcome,
            "last_started_at": when(self.last_started_at),
            "last_finished_at": when(self.last_finished_at),
            "last_success_at": when(self.last_success_at),
            "next_run_at": when(self.next_run_at),
        }


class HealthState:
    """The jobs' records and whether the service is up, shared by the jobs and the HTTP thread."""

    def __init__(self, intervals: dict[str, float]) -> None:
        self._lock = threading.Lock()
        self._jobs = {job: JobRecord(interval) for job, interval in intervals.items()}
        self.status = "starting"

    def started(self, job: str, at: datetime) -> None:
        """A job began a run."""
        with self._lock:
            record = self._jobs[job]
            record.running, record.last_started_at = True, at

    def finished(self, job: str, at: datetime, outcome: str) -> None:
        """A job ended a run: ``succeeded``, ``partial`` (some targets failed) or ``failed``."""
        with self._lock:
            record = self._jobs[job]
            record.running, record.last_finished_at, record.last_outcome = False, at, outcome
            record.runs += 1
            if outcome == "succeeded":
                record.last_success_at = at

    def scheduled(self, job: str, at: datetime | None) -> None:
        """When a job runs next."""
        with self._lock:
            self._jobs[job].next_run_at = at

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every job's record as JSON-ready data."""
        with self._lock:
            return {job: record.as_json() for job, record in self._jobs.items()}


class ServiceMetrics:
    """The Prometheus metrics of one `run` process, in its own registry."""

    def __init__(
        self, counter: ApiCallCounter, sessions: sessionmaker[Session] | None = None
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.job_runs = Counter(
            "genai_monitor_job_runs",
            "Scheduled job runs by outcome.",
            ["job", "outcome"],
            registry=self.registry,
        )
        self.job_duration = Histogram(
            "genai_monitor_job_duration_seconds",
            "How long a scheduled job ran.",
            ["job"],
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
            registry=self.registry,
        )
        self.job_last_success = Gauge(
            "genai_monitor_job_last_success_timestamp_seconds",
            "When a job last succeeded (Unix time).",
            ["job"],
            registry=self.registry,
        )
        self.collector_runs = Counter(
            "genai_monitor_collector_runs",
            "Collector runs per target by status: succeeded, failed, skipped (denied) or held_elsewhere (another replica had it).",
            ["source", "status"],
            registry=self.registry,
        )
        self.rows_written = Counter(
            "genai_monitor_rows_written",
            "Rows written by the collectors.",
            ["source"],
            registry=self.registry,
        )
        self.notification_failures = Counter(
            "genai_monitor_notification_failures",
            "Notifications whose delivery failed (they are retried).",
            registry=self.registry,
        )
        self.notifications_delivered = Counter(
            "genai_monitor_notifications_delivered",
            "Notifications delivered.",
            registry=self.registry,
        )
        self.registry.register(_ApiCalls(counter))
        if sessions is not None:
            self.registry.register(_StoredAlerts(sessions))

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


class _ApiCalls(Collector):
    """AWS API calls by operation, read from the process's call counter at scrape time."""

    def __init__(self, counter: ApiCallCounter) -> None:
        self.counter = counter

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "genai_monitor_aws_api_calls",
            "AWS API calls made, by service and operation.",
            labels=["service", "operation"],
        )
        for key, count in sorted(self.counter.snapshot().items()):
            service, _, operation = key.partition(":")
            family.add_metric([service, operation], count)
        yield family


class _StoredAlerts(Collector):
    """Alerts by state and undelivered notifications, read from the database at scrape time.

    The database is the truth shared by every replica; a per-process count would disagree.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterable[GaugeMetricFamily]:
        alerts = GaugeMetricFamily(
            "genai_monitor_alerts", "Alerts stored, by state.", labels=["state"]
        )
        pending = GaugeMetricFamily(
            "genai_monitor_notifications_undelivered",
            "Notifications not yet delivered, by channel (failing ones included).",
            labels=["channel"],
        )
        try:
            with self.sessions() as session:
                states = dict(
                    session.execute(select(Alert.state, func.count()).group_by(Alert.state)).all()
                )
                channels = dict(
                    session.execute(
                        select(Notification.channel, func.count())
                        .where(Notification.delivered_at.is_(None))
                        .group_by(Notification.channel)
                    ).all()
                )
        except SQLAlchemyError as exc:
            log.warning("metrics: cannot read alert states: %s", str(exc).splitlines()[0])
            return []
        for state in ALERT_STATES:
            alerts.add_metric([state], states.get(state, 0))
        for channel, count in sorted(channels.items()):
            pending.add_metric([channel], count)
        return [alerts, pending]


class _Handler(BaseHTTPRequestHandler):
    """GET /healthz (JSON) and GET /metrics (Prometheus text)."""

    server: HealthServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            healthy, body = self.server.health()
            self._send(
                200 if healthy else 503, "application/json", json.dumps(body, indent=2).encode()
            )
        elif path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, self.server.metrics.exposition())
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server API
        log.debug("health: " + format, *args)


class HealthServer(ThreadingHTTPServer):
    """The HTTP server; ``health`` says whether the service is up and why not."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        state: HealthState,
        metrics: ServiceMetrics,
        database_ok: Callable[[], str | None],
    ) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self.metrics = metrics
        self.database_ok = database_ok

    @property
    def url(self) -> str:
        """The base URL it listens on."""
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy while the scheduler runs and the database answers; the jobs' records either way."""
        problem = (
            self.database_ok()
            if self.state.status == "running"
            else f"service is {self.state.status}"
        )
        body: dict[str, Any] = {
            "status": "ok" if problem is None else "unavailable",
            "jobs": self.state.snapshot(),
        }
        if problem is not None:
            body["problem"] = problem
        return problem is None, body

    def start(self) -> threading.Thread:
        """Serve from a daemon thread."""
        thread = threading.Thread(target=self.serve_forever, name="health-http", daemon=True)
        thread.start()
        return thread
