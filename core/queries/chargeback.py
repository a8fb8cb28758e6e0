"""The month-end chargeback statement read from the database: the month's lines under the config's rule."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.chargeback import Statement, build_statement
from core.queries.billing import month_lines
from core.settings import MonitorConfig


def month_statement(session: Session, month: str, config: MonitorConfig) -> Statement:
    """The statement of billing period ``month`` (YYYY-MM) for the configured teams."""
    source, lines = month_lines(session, month)
    teams = [team.name for team in config.teams]
    return build_statement(month, source, lines, config.chargeback, teams)
