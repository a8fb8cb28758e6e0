"""Collector runs: how far each target has been collected, and how each target is doing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.models import CollectorRun


def watermark(session: Session, source: str, account_id: str, region: str) -> datetime | None:
    """The end of the newest window a source collected successfully for a target."""
    statement = select(func.max(CollectorRun.window_end)).where(
        CollectorRun.source == source,
        CollectorRun.account_id == account_id,
        CollectorRun.region == region,
        CollectorRun.status == "succeeded",
    )
    return session.scalar(statement)


@dataclass(frozen=True)
class TargetStatus:
    """How a collector target is doing: its last success, last attempt and the newest error since."""

    source: str
    account_id: str
    region: str
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None


def collector_status(session: Session) -> list[TargetStatus]:
    """Every (source, account, region) that has run, with when it last finished and last succeeded."""
    runs = CollectorRun
    key = (runs.source, runs.account_id, runs.region)
    attempts = {
        (source, account, region): (last, succeeded)
        for source, account, region, last, succeeded in session.execute(
            select(
                *key,
                func.max(runs.finished_at),
                func.max(case((runs.status == "succeeded", runs.finished_at), else_=None)),
            ).group_by(*key)
        )
    }
    errors: dict[tuple[str, str, str], tuple[datetime | None, str | None]] = {}
    failed = select(*key, runs.finished_at, runs.message).where(
        runs.status.in_(("failed", "skipped"))
    )
    for source, account, region, finished, message in session.execute(failed):
        known = errors.get((source, account, region))
        if known is None or (finished and (known[0] is None or finished > known[0])):
            errors[(source, account, region)] = (finished, message)
    statuses = []
    for target, (last, succeeded) in sorted(attempts.items()):
        error = errors.get(target)
        newer = error is not None and (
            succeeded is None or (error[0] is not None and error[0] > succeeded)
        )
        recent_error = error[1] if error and newer else None
        statuses.append(TargetStatus(*target, succeeded, last, recent_error))
    return statuses
