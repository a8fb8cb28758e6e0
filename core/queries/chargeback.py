"""The month-end chargeback statement read from the database: the month's lines under the config's rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from core.apportion import cents, usd
from core.chargeback import Statement, build_statement
from core.queries.billing import month_lines
from core.queries.savings import saved_by_team
from core.settings import MonitorConfig
from core.timeutil import utcnow


def month_statement(
    session: Session, month: str, config: MonitorConfig, now: datetime | None = None
) -> Statement:
    """The statement of billing period ``month`` (YYYY-MM) for the configured teams, with what
    each team saved that month by stopping waste (until ``now``)."""
    source, lines = month_lines(session, month)
    teams = [team.name for team in config.teams]
    statement = build_statement(month, source, lines, config.chargeback, teams)
    saved = saved_by_team(session, month, now or utcnow())
    return replace(statement, saved={team: usd(cents(amount)) for team, amount in saved.items()})
