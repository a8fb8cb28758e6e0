"""The data version: a cheap fingerprint of what the dashboard reads, which changes whenever a
collector window loads (or alerts are evaluated, or an action is recorded).

A loaded window always writes its `collector_runs` row in the window's transaction: a new row
(a new id) for a new window, an updated ``finished_at`` for a re-collected one. Alerts change
``last_seen_at`` on every evaluation; actions append to `actions_audit`. The query reads a few
maxima, each from an index (migration 0021 indexes ``finished_at`` and ``last_seen_at``), so
its cost does not grow with the bookkeeping tables.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Alert, CollectorRun
from core.models_actions import ActionAudit


def data_version(session: Session) -> str:
    """A string that changes whenever a window loads, alerts are evaluated or an action is recorded."""
    row = session.execute(
        select(
            select(func.max(CollectorRun.id)).scalar_subquery(),
            select(func.max(CollectorRun.finished_at)).scalar_subquery(),
            select(func.max(Alert.id)).scalar_subquery(),
            select(func.max(Alert.last_seen_at)).scalar_subquery(),
            select(func.max(ActionAudit.id)).scalar_subquery(),
        )
    ).one()
    return "|".join("" if value is None else str(value) for value in row)
