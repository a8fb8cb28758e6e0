"""The Alerts page's view model: open alerts by state, and those resolved in the window."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from core.alert_state import OPEN_STATES, AlertState
from core.models import Alert
from core.queries.alerts import alert_rows, alerts_resolved
from dashboard.filters import Filters

ALERT_COLUMNS = [
    "id",
    "state",
    "severity",
    "rule",
    "team",
    "subject",
    "opened_at",
    "fired_at",
    "resolved_at",
    "silenced_until",
    "message",
]


def alerts_frame(alerts: list[Alert]) -> pd.DataFrame:
    """Alert episodes as rows."""
    rows = [
        [
            a.id,
            a.state,
            a.severity,
            a.rule,
            a.team,
            a.subject,
            a.opened_at,
            a.fired_at,
            a.resolved_at,
            a.silenced_until,
            a.message,
        ]
        for a in alerts
    ]
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


@dataclass(frozen=True)
class AlertsData:
    """Open alerts by state, and those resolved in the window."""

    firing: pd.DataFrame
    pending: pd.DataFrame
    silenced: pd.DataFrame
    resolved: pd.DataFrame


def alerts_data(session: Session, filters: Filters) -> AlertsData:
    """Everything the Alerts page shows for these filters."""
    teams = filters.team_list()
    open_alerts = alert_rows(session, OPEN_STATES, teams=teams)
    start, end = filters.window

    def in_state(state: AlertState) -> pd.DataFrame:
        return alerts_frame([a for a in open_alerts if a.state == state])

    return AlertsData(
        firing=in_state(AlertState.FIRING),
        pending=in_state(AlertState.PENDING),
        silenced=in_state(AlertState.SILENCED),
        resolved=alerts_frame(alerts_resolved(session, start, end, teams)),
    )
