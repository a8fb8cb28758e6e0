"""Checks across the config's sections, run once the sections themselves are valid."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.settings import MonitorConfig


def check_unique(config: MonitorConfig) -> None:
    """No team and no account listed twice."""
    names = [team.name for team in config.teams]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"team {duplicates[0]!r} is listed twice")
    ids = [account.id for account in config.accounts]
    if len(set(ids)) != len(ids):
        raise ValueError("an account id is listed twice")


def check_routes(config: MonitorConfig) -> None:
    """Every route a team or the default names is a configured notifier."""
    known_routes = set(config.notifiers)
    for team in config.teams:
        for route in team.routes or []:
            if route not in known_routes:
                raise ValueError(
                    f"team {team.name!r} routes to {route!r}, which is not under notifiers"
                )
    for route in config.alerts.default_route:
        if route not in known_routes:
            raise ValueError(f"alerts.default_route names {route!r}, which is not under notifiers")


def check_team_names(config: MonitorConfig) -> None:
    """Every team an inference profile or account names is configured (when teams are listed)."""
    known = {team.name for team in config.teams}
    if not known:
        return
    for profile, mapping in config.attribution.inference_profiles.items():
        if mapping.team not in known:
            raise ValueError(
                f"attribution.inference_profiles.{profile} names team {mapping.team!r}, "
                "which is not under teams"
            )
    for account in config.accounts:
        if account.team is not None and account.team not in known:
            raise ValueError(
                f"account {account.id} names team {account.team!r}, which is not under teams"
            )
