"""Who is asking and which teams they may see: the viewer of a request, and filters narrowed to it.

Every page and callback reads its filters through :func:`scoped`, so a viewer of one team gets
that team's rows whatever the URL or the callback payload asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from flask import g

from core.access_settings import ROLES, DashboardConfig
from dashboard.filters import Filters


@dataclass(frozen=True)
class Viewer:
    """The person behind a request: ``admin`` and ``finance`` see every team, a ``viewer`` its own."""

    user: str
    role: str
    teams: tuple[str, ...] | None  # None: every team, the unattributed spend included
    groups: tuple[str, ...] = ()

    def sees(self, team: str) -> bool:
        """Whether this viewer may see ``team``'s rows."""
        return self.teams is None or team in self.teams


# without any authentication configured, everyone is an admin (the dashboard's first days)
ANONYMOUS = Viewer("anonymous", "admin", None)


def viewer_for(user: str, groups: Sequence[str], dashboard: DashboardConfig) -> Viewer | None:
    """The viewer a user of these groups is; None when no group of theirs may see anything."""
    if not dashboard.maps_groups:
        return Viewer(user, "admin", None, tuple(groups))
    member = set(groups)
    for role in ROLES:  # admin before finance: the wider role wins
        if member & set(dashboard.roles.get(role, ())):  # type: ignore[call-overload]
            return Viewer(user, role, None, tuple(groups))
    teams = sorted(team for team, names in dashboard.team_groups.items() if member & set(names))
    return Viewer(user, "viewer", tuple(teams), tuple(groups)) if teams else None


def narrow(filters: Filters, viewer: Viewer) -> Filters:
    """The filters with only the teams ``viewer`` sees; asking for none or for others means all of theirs."""
    if viewer.teams is None:
        return filters
    allowed = tuple(team for team in filters.teams if team in viewer.teams)
    return replace(filters, teams=allowed or viewer.teams)


def visible(teams: Iterable[str], viewer: Viewer) -> list[str]:
    """The teams of ``teams`` that ``viewer`` may see (for the team dropdown)."""
    return [team for team in teams if viewer.sees(team)]


def current_viewer() -> Viewer:
    """The viewer of the request being served (set before every request by the auth hook)."""
    viewer: Viewer = g.viewer
    return viewer


def scoped(filters: Filters) -> Filters:
    """The request's filters narrowed to its viewer's teams, and kept for the audit log."""
    narrowed = narrow(filters, current_viewer())
    g.audit_filters = narrowed.query_string()
    return narrowed
