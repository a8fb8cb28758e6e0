"""Silences: reading and writing them, in the caller's transaction (the engine applies them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Silence


def add_silence(
    session: Session,
    *,
    rule: str | None,
    subject_pattern: str,
    team: str | None,
    starts_at: datetime,
    duration: timedelta,
    created_by: str,
    comment: str,
) -> Silence:
    """Store a silence from ``starts_at`` for ``duration``; returns it with its id."""
    entry = Silence(
        rule=rule,
        subject_pattern=subject_pattern,
        team=team,
        starts_at=starts_at,
        ends_at=starts_at + duration,
        created_by=created_by,
        comment=comment,
    )
    session.add(entry)
    session.flush()
    return entry


def list_silences(session: Session, now: datetime, include_expired: bool = False) -> list[Silence]:
    """The silences not yet ended at ``now`` (every one with ``include_expired``), oldest first."""
    statement = select(Silence).order_by(Silence.id)
    if not include_expired:
        statement = statement.where(Silence.ends_at > now)
    return list(session.scalars(statement))


def end_silence(session: Session, silence_id: int, now: datetime) -> Silence | None:
    """End a silence at ``now`` (an already ended one keeps its end); None if there is none."""
    entry = session.get(Silence, silence_id)
    if entry is not None:
        entry.ends_at = min(entry.ends_at, now)
    return entry
