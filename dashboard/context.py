"""What every page's view model shares: the request's context, money for display, filter choices.

Money stays Decimal in the view models' frames (object columns); figures and tables turn it
into floats at the very edge, for plotting and for the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from core.queries.options import filter_options
from core.queries.waste import UnderUse, idle_thresholds, under_use
from core.settings import UNATTRIBUTED, MonitorConfig
from core.timeutil import utcnow
from dashboard.access import current_viewer, visible
from dashboard.filters import Filters

EXTENSION = "genai_monitor"
CENT = Decimal("0.01")
ZERO = Decimal(0)
DEFAULT_IDLE_HOURS = Decimal(24)


@dataclass(frozen=True)
class DashboardContext:
    """What every callback needs: sessions on the database, the config and the clock."""

    sessions: sessionmaker[Session]
    config: MonitorConfig
    clock: Callable[[], datetime] = utcnow

    def today(self) -> date:
        """Today's UTC date."""
        return self.clock().date()

    def config_teams(self) -> list[str]:
        """The configured teams plus the unattributed bucket, which must never hide."""
        return sorted({team.name for team in self.config.teams} | {UNATTRIBUTED})

    def idle_thresholds(self) -> dict[str, timedelta]:
        """Each waste kind's idle threshold: the ``for`` of its alert rule, else the kind's default."""
        return idle_thresholds(self.config.alerts.rules)

    def under_use(self) -> UnderUse:
        """What makes a busy resource under-used: the config's ``waste`` section."""
        return under_use(self.config)

    def idle_threshold_hours(self) -> Decimal:
        """Hours without a call after which an endpoint counts as idle: the idle rule's ``for``, else 24."""
        for rule in self.config.alerts.rules:
            hold = getattr(rule, "for_", None)  # the rule's schema lives with the alerts
            if rule.kind == "idle_endpoint" and hold is not None:
                return Decimal(int(hold.total_seconds())) / 3600
        return DEFAULT_IDLE_HOURS


def current_context() -> DashboardContext:
    """The context of the Dash app serving this request."""
    from flask import current_app

    context: DashboardContext = current_app.extensions[EXTENSION]
    return context


def cents(value: Decimal | None) -> Decimal | None:
    """Money rounded to cents for display (None stays None: unknown is not zero)."""
    return None if value is None else value.quantize(CENT)


def options_for(
    context: DashboardContext, session: Session, filters: Filters
) -> tuple[list[str], list[str], list[str]]:
    """Teams, accounts and regions to offer in the filters of a view, as far as its viewer may see."""
    viewer = current_viewer()
    start, end = filters.window
    found = filter_options(session, start, end, viewer.teams)
    teams = visible(set(found.teams) | set(context.config_teams()), viewer)
    configured = {a.id for a in context.config.accounts if a.team is None or viewer.sees(a.team)}
    accounts = sorted(set(found.accounts) | configured)
    regions = sorted(set(found.regions) | set(context.config.regions))
    return sorted(teams), accounts, regions
