"""Alert episodes: open, opened in a window, resolved in a window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alert_state import AlertState
from core.models import Alert
from core.queries.common import between, chosen


def alert_rows(
    session: Session,
    states: Sequence[AlertState | str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    teams: list[str] | None = None,
    inhibited: bool = False,
) -> list[Alert]:
    """Alert episodes, newest first: those in ``states``, and/or opened in [start, end), of ``teams``.

    Episodes inhibited by a higher one (now or when they ended) only with ``inhibited``.
    """
    statement = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc())
    conditions = between(Alert.opened_at, start, end)
    conditions += chosen((Alert.state, [str(state) for state in states or ()]), (Alert.team, teams))
    if not inhibited:
        conditions.append(Alert.inhibited_by.is_(None))
    return list(session.scalars(statement.where(*conditions)))


def alerts_resolved(
    session: Session, start: datetime, end: datetime, teams: list[str] | None = None
) -> list[Alert]:
    """Alert episodes of ``teams`` resolved in [start, end), newest first, none that ended inhibited."""
    statement = (
        select(Alert)
        .where(
            *between(Alert.resolved_at, start, end),
            *chosen((Alert.team, teams)),
            Alert.inhibited_by.is_(None),
        )
        .order_by(Alert.resolved_at.desc(), Alert.id.desc())
    )
    return list(session.scalars(statement))
