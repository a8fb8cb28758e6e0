"""Runs a collector over targets: windows, watermarks, one transaction per window."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.aws import ApiCallCounter, AwsDenied, AwsError, Target
from core.db import DatabaseError, error_reason, upsert, write_turn
from core.models import CollectorRun
from core.queries.runs import watermark
from core.settings import MonitorConfig, SourceConfig
from core.timeutil import ceil_hour, floor_hour, utcnow

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Source(Protocol):
    """A collector. The runner calls ``prepare`` once per target, then per window ``fetch`` (get:
    AWS's answers, outside any transaction), ``transform`` (pure: answers -> rows) and ``load``
    (inside the window's transaction). Optional: ``plan_windows(start, end)`` cuts the range into
    the source's own windows (billing months), and a transformed window with a ``failure``
    message is loaded, then recorded failed."""

    name: str

    @property
    def settings(self) -> SourceConfig: ...

    def targets(self, configured: Sequence[Target]) -> list[Target]:
        """The targets this source collects, from the configured (account, region) pairs."""
        ...

    def incremental_range(self, last_end: datetime | None, now: datetime) -> Window:
        """The range a regular cycle reads, given the watermark."""
        ...

    def prepare(self, session: Session, target: Target, start: datetime, end: datetime) -> Any: ...

    def fetch(self, prepared: Any, start: datetime, end: datetime, collected_at: datetime) -> Any:
        """Get one window's answers from AWS, as they came."""
        ...

    def transform(self, prepared: Any, fetched: Any, collected_at: datetime) -> Any:
        """Turn one window's answers into what ``load`` writes (pure: no I/O)."""
        ...

    def load(self, session: Session, transformed: Any) -> int:
        """Write one window's rows; returns the rows written."""
        ...


@dataclass(frozen=True)
class Window:
    """A half-open time range [start, end)."""

    start: datetime
    end: datetime


def plan_windows(start: datetime, end: datetime, size: timedelta) -> list[Window]:
    """Cut [start, end) at multiples of ``size`` since the epoch, so re-runs cut the same way."""
    if end <= start:
        return []
    step = size.total_seconds()
    windows = []
    cursor = start
    while cursor < end:
        boundary = EPOCH + timedelta(seconds=((cursor - EPOCH).total_seconds() // step + 1) * step)
        windows.append(Window(cursor, min(boundary, end)))
        cursor = windows[-1].end
    return windows


def incremental_range(last_end: datetime | None, now: datetime, settings: SourceConfig) -> Window:
    """The range a regular cycle reads: from the watermark less the lookback up to this hour's end.

    With no watermark yet it reads ``initial_backfill``; after an outage it reads the whole gap.
    """
    end = floor_hour(now) + timedelta(hours=1)
    if last_end is None:
        start = end - settings.initial_backfill
    else:
        start = min(last_end, end) - settings.lookback
    return Window(floor_hour(start), end)


class HourlyRegionalSource:
    """What every hourly CloudWatch source does alike: its settings under `collection.<name>`,
    every configured (account, region) as a target, and the hourly incremental range."""

    name: str
    config: MonitorConfig

    @property
    def settings(self) -> SourceConfig:
        """This source's collection settings."""
        return self.config.collection.source(self.name)

    def targets(self, configured: Sequence[Target]) -> list[Target]:
        """The source is regional: every configured (account, region)."""
        return list(configured)

    def incremental_range(self, last_end: datetime | None, now: datetime) -> Window:
        """From the watermark less the lookback (metrics arrive late, the newest hours are
        provisional) to this hour's end."""
        return incremental_range(last_end, now, self.settings)


def backfill_range(start: datetime, end: datetime, now: datetime) -> Window:
    """The whole hours covering [start, end), never past the end of the current hour."""
    return Window(floor_hour(start), min(ceil_hour(end), floor_hour(now) + timedelta(hours=1)))


@dataclass
class TargetPlan:
    """The windows one target will be collected over."""

    target: Target
    windows: list[Window]


@dataclass
class TargetOutcome:
    """What happened to one target: succeeded, skipped (denied), failed, or stopped (asked to,
    between two windows)."""

    target: Target
    status: str
    windows_done: int = 0
    rows: int = 0
    api_calls: int = 0
    message: str | None = None
    # the end of the last window written: where a stopped target's next run continues
    written_until: datetime | None = None


@dataclass
class CycleResult:
    """All targets' outcomes of one collection cycle of one source."""

    source: str
    outcomes: list[TargetOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[TargetOutcome]:
        """The targets that failed (not the skipped ones)."""
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]

    @property
    def rows(self) -> int:
        """Rows written over every target."""
        return sum(outcome.rows for outcome in self.outcomes)

    @property
    def stopped(self) -> list[TargetOutcome]:
        """The targets left unfinished because the runner was asked to stop."""
        return [outcome for outcome in self.outcomes if outcome.status == "stopped"]


class Runner:
    """Collects sources window by window, recording each window, over up to ``workers`` targets
    at once (each target in one thread; fetches run alongside, a SQLite database takes the
    windows' transactions one at a time).

    Once ``stop`` is set every worker finishes the window it is writing and starts no other:
    what is written stays, and the watermark lets the next run continue from there.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        counter: ApiCallCounter,
        clock: Callable[[], datetime] = utcnow,
        stop: threading.Event | None = None,
        workers: int = 1,
    ) -> None:
        self.sessions = sessions
        self.counter = counter
        self.clock = clock
        self.stop = stop or threading.Event()
        self.workers = max(1, workers)
        self._write_turn = write_turn(sessions.kw.get("bind"))
        # the caller's on_window (a progress bar, a lease renewal) is called by one worker at a time
        self._notify = threading.Lock()

    def plan(
        self,
        source: Source,
        targets: Sequence[Target],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[TargetPlan]:
        """Windows per target: the given range (a backfill) or the incremental range."""
        plans = []
        now = self.clock()
        size = source.settings.window
        try:
            with self.sessions() as session:
                for target in targets:
                    if start is not None and end is not None:
                        window = backfill_range(start, end, now)
                    else:
                        last = watermark(session, source.name, target.account_id, target.region)
                        window = source.incremental_range(last, now)
                    # a source with its own periods (billing months) cuts the range itself
                    cut = getattr(source, "plan_windows", None)
                    windows = (
                        cut(window.start, window.end)
                        if cut is not None
                        else plan_windows(window.start, window.end, size)
                    )
                    plans.append(TargetPlan(target, windows))
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"cannot read the collector watermarks: {error_reason(exc)}"
            ) from exc
        return plans

    def run(
        self,
        source: Source,
        plans: Sequence[TargetPlan],
        on_window: Callable[[TargetPlan, Window], None] | None = None,
    ) -> CycleResult:
        """Collect every planned window, ``workers`` targets at once; a denied target is skipped,
        a failed one stops alone. Outcomes come in the plans' order."""

        def one(plan: TargetPlan) -> TargetOutcome:
            if self.stop.is_set():
                return TargetOutcome(plan.target, "stopped")
            return self._run_target(source, plan, on_window)

        result = CycleResult(source.name)
        if self.workers == 1 or len(plans) < 2:
            result.outcomes.extend(one(plan) for plan in plans)
            return result
        pool = ThreadPoolExecutor(
            min(self.workers, len(plans)), thread_name_prefix=f"collect-{source.name}"
        )
        try:
            futures = [pool.submit(one, plan) for plan in plans]
            result.outcomes.extend(future.result() for future in futures)
        finally:
            # a worker's DatabaseError: the running targets finish, the waiting ones never start
            pool.shutdown(wait=True, cancel_futures=True)
        return result

    def _run_target(
        self,
        source: Source,
        plan: TargetPlan,
        on_window: Callable[[TargetPlan, Window], None] | None,
    ) -> TargetOutcome:
        target = plan.target
        outcome = TargetOutcome(target, "succeeded")
        if not plan.windows:
            return outcome
        # this thread's calls: other workers' calls run alongside
        calls_before = self.counter.thread_total()
        current = plan.windows[0]
        try:
            with self.sessions() as session:
                prepared = source.prepare(
                    session, target, plan.windows[0].start, plan.windows[-1].end
                )
            for window in plan.windows:
                if self.stop.is_set():
                    outcome.status = "stopped"
                    break
                current = window
                started = self.clock()
                fetched = source.fetch(prepared, window.start, window.end, started)
                calls = self.counter.thread_total() - calls_before
                rows = source.transform(prepared, fetched, started)
                # a window can fail in part (a corrupt billing file): what it could load is
                # written, the window is recorded failed, and the target goes on
                failure: str | None = getattr(rows, "failure", None)
                with self._write_turn, self.sessions.begin() as session:
                    written = source.load(session, rows)
                    self._record(
                        session,
                        source.name,
                        target,
                        window,
                        "failed" if failure else "succeeded",
                        started,
                        calls,
                        written,
                        failure,
                    )
                if failure:
                    log.error("%s %s: failed in part: %s", source.name, target.label, failure)
                    outcome.status, outcome.message = "failed", failure
                calls_before = self.counter.thread_total()
                outcome.windows_done += 1
                outcome.rows += written
                outcome.api_calls += calls
                outcome.written_until = window.end
                if on_window:
                    with self._notify:
                        on_window(plan, window)
        except AwsDenied as exc:
            log.warning("%s %s: skipped: %s", source.name, target.label, exc)
            outcome.status, outcome.message = "skipped", str(exc)
            self._record_failure(source.name, target, current, "skipped", str(exc), calls_before)
        except AwsError as exc:
            log.error(
                "%s %s: failed at window %s: %s",
                source.name,
                target.label,
                current.start.isoformat(),
                exc,
            )
            outcome.status, outcome.message = "failed", str(exc)
            self._record_failure(source.name, target, current, "failed", str(exc), calls_before)
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"{source.name} {target.label}: the database failed while writing the window from "
                f"{current.start.isoformat()}: {error_reason(exc)}; windows already written are kept, "
                "and the next run continues from there"
            ) from exc
        return outcome

    def _record_failure(
        self,
        source: str,
        target: Target,
        window: Window,
        status: str,
        message: str,
        calls_before: int,
    ) -> None:
        with self._write_turn, self.sessions.begin() as session:
            now = self.clock()
            self._record(
                session,
                source,
                target,
                window,
                status,
                now,
                self.counter.thread_total() - calls_before,
                0,
                message,
            )

    def _record(
        self,
        session: Session,
        source: str,
        target: Target,
        window: Window,
        status: str,
        started: datetime,
        api_calls: int,
        rows: int,
        message: str | None,
    ) -> None:
        upsert(
            session,
            CollectorRun,
            [
                {
                    "source": source,
                    "account_id": target.account_id,
                    "region": target.region,
                    "window_start": window.start,
                    "window_end": window.end,
                    "status": status,
                    "started_at": started,
                    "finished_at": self.clock(),
                    "api_calls": api_calls,
                    "rows": rows,
                    "message": message,
                }
            ],
            key=["source", "account_id", "region", "window_start"],
        )
