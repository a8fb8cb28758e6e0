"""The principal side of ``attribution`` (#14): the shapes of ``session_names`` and
``request_metadata_teams`` and the checks that tie them to ``teams`` and
``request_metadata_keys`` once the whole config is read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator

if TYPE_CHECKING:
    from core.settings import MonitorConfig

# ``request_metadata_teams.<key>: "*"``: the value of the key names the team itself
VALUE_IS_TEAM = "*"


def _metadata_teams(value: Any) -> Any:
    if isinstance(value, str):
        if value != VALUE_IS_TEAM:
            raise ValueError(
                f'expected "*" (the value is the team) or a mapping of values to teams, got {value!r}'
            )
        return value
    if isinstance(value, dict):
        for item, team in value.items():
            if not isinstance(item, str) or not isinstance(team, str) or not team.strip():
                raise ValueError(
                    f"expected a mapping of metadata values (patterns) to team names, got {item!r}: {team!r}"
                )
        return value
    raise ValueError(
        f'expected "*" (the value is the team) or a mapping of values to teams, got {value!r}'
    )


# one request-metadata key's rule: "*" or {value pattern (shell-style): team}
MetadataTeams = Annotated[str | dict[str, str], BeforeValidator(_metadata_teams)]


def _check_named(where: str, named: dict[str, str], known: set[str]) -> None:
    for key, team in named.items():
        if team not in known:
            raise ValueError(f"{where}.{key} names team {team!r}, which is not under teams")


def settle_principal_attribution(config: MonitorConfig) -> None:
    """Check the principal rules, then give ``config.attribution`` the configured team names.

    Principal rules name configured teams; request metadata rules read kept keys; a value that
    is the team needs the teams listed (a caller's metadata never invents a team).
    """
    attribution = config.attribution
    known = {team.name for team in config.teams}
    if known:
        _check_named("attribution.principals", attribution.principals, known)
        _check_named("attribution.session_names", attribution.session_names, known)
    for key, rule in attribution.request_metadata_teams.items():
        where = f"attribution.request_metadata_teams.{key}"
        if key not in attribution.request_metadata_keys:
            raise ValueError(
                f"{where}: {key!r} must also be listed in attribution.request_metadata_keys "
                "(the usage rows are kept per value of those keys)"
            )
        if rule == VALUE_IS_TEAM:
            if not known:
                raise ValueError(
                    f'{where}: "*" takes the team from the value, which must name a team under '
                    "teams: list the teams"
                )
        elif known and isinstance(rule, dict):
            _check_named(where, rule, known)
    # a copy: the default section is one instance shared by every config
    settled = attribution.model_copy()
    settled._teams = frozenset(known)  # noqa: SLF001 - the section's own state, set while validating
    object.__setattr__(config, "attribution", settled)  # frozen: set once, inside validation
