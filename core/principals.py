"""Who a Bedrock caller belongs to: an IAM principal ARN (and the call's request metadata) to a
team, with the rule that decided it (#14).

The interface the invocation-log collector and `attribution explain` share. Precedence, most
specific first; the first rule that names a team wins, the others that match are *overridden*
(`attribution explain` lists them):

1. request metadata: ``attribution.request_metadata_teams``, keys in the config's order; a key
   mapped to ``"*"`` takes its value as the team, a mapping takes the first value pattern that
   matches. A value naming no configured team is ignored (a caller never invents a team);
2. exact ARN: an ``attribution.principals`` entry equal to the caller's ARN as logged;
3. session name: ``attribution.session_names`` patterns, in order, on an assumed-role session's
   name (``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``);
4. principal pattern: ``attribution.principals`` patterns, in order, on the caller's ARN and,
   for an assumed-role session, on its role's ARN ``arn:aws:iam::ACCT:role/ROLE``: a role
   pattern (or a role's exact ARN) covers the role's sessions. The logged session ARN has no
   role path: write ``role/*search-*`` for roles with one;
5. principal tag: ``attribution.principal_tag_keys`` (IAM tags), in order, on the user or role (a
   session's role). Where teams are listed, a tag naming none of them is ignored;
6. account default: the account's ``team``;
7. ``unattributed``.

Patterns are shell-style (``*``, ``?``, ``[...]``; ``*`` also matches ``/``) and case-sensitive.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from core.attribution_settings import VALUE_IS_TEAM
from core.principal_arns import Caller, parse_caller
from core.settings import UNATTRIBUTED, AttributionConfig

# the rule kinds, in precedence order (what `attribution explain` names)
REQUEST_METADATA = "request metadata"
EXACT_ARN = "exact ARN"
SESSION_NAME = "session name"
PRINCIPAL_PATTERN = "principal pattern"
PRINCIPAL_TAG = "principal tag"
ACCOUNT_DEFAULT = "account default"
NO_MAPPING = "no principal mapping"
ACCOUNT_DEFAULT_RULE = "account default team"
PRECEDENCE = (
    REQUEST_METADATA,
    EXACT_ARN,
    SESSION_NAME,
    PRINCIPAL_PATTERN,
    PRINCIPAL_TAG,
    ACCOUNT_DEFAULT,
)


@dataclass(frozen=True)
class PrincipalAttribution:
    """The team of a caller and the rule that decided it (printed by `attribution explain`)."""

    team: str
    rule: str


@dataclass(frozen=True)
class RuleMatch:
    """One rule that named a team for a caller (``team`` is None when the team is unknown and
    the rule was therefore ignored)."""

    kind: str
    rule: str
    team: str | None


@dataclass(frozen=True)
class Explanation:
    """Every rule that matched a caller, in precedence order, and the one that decided."""

    decided: PrincipalAttribution
    matches: list[RuleMatch] = field(default_factory=list)

    @property
    def overridden(self) -> list[RuleMatch]:
        """Matching rules after the deciding one that name another team."""
        return [m for m in self.matches[1:] if m.team and m.team != self.decided.team]

    @property
    def agreeing(self) -> list[RuleMatch]:
        """Matching rules after the deciding one that name the same team."""
        return [m for m in self.matches[1:] if m.team == self.decided.team]

    @property
    def ignored(self) -> list[RuleMatch]:
        """Rules that matched but named no configured team."""
        return [m for m in self.matches if m.team is None]


class PrincipalTags(Protocol):
    """The IAM tags of the user or role behind a principal ARN (empty when unknown)."""

    def tags(self, principal_arn: str) -> Mapping[str, str]: ...


class NoPrincipalTags:
    """A lookup that knows no tags (the collector has no IAM read, or none are configured)."""

    def tags(self, principal_arn: str) -> Mapping[str, str]:
        """Always empty."""
        return {}


def _known(team: str, teams: frozenset[str]) -> str | None:
    """The team if it may be used: configured, or any when no teams are listed."""
    return team if not teams or team in teams else None


def _first_pattern(value: str, patterns: Mapping[str, str]) -> tuple[str, str] | None:
    for pattern, team in patterns.items():
        if fnmatch.fnmatchcase(value, pattern):
            return pattern, team
    return None


def metadata_matches(
    metadata: Mapping[str, str], attribution: AttributionConfig
) -> Iterator[RuleMatch]:
    """Rule 1: what the call's request metadata says, key by key in the config's order."""
    teams = attribution._teams  # noqa: SLF001 - set by MonitorConfig for exactly this
    for key, rule in attribution.request_metadata_teams.items():
        value = str(metadata.get(key) or "").strip()  # a log may carry a number
        if not value:
            continue
        if rule == VALUE_IS_TEAM:
            # the value is the team: only a configured one (teams are required for "*")
            team = value if value in teams else None
            yield RuleMatch(REQUEST_METADATA, f"request_metadata_teams[{key}=*] ({value})", team)
        elif isinstance(rule, Mapping):
            found = _first_pattern(value, rule)
            if found is not None:
                pattern, team_name = found
                rule_text = f"request_metadata_teams[{key}][{pattern}] ({value})"
                yield RuleMatch(REQUEST_METADATA, rule_text, team_name)


def exact_matches(caller: Caller, attribution: AttributionConfig) -> Iterator[RuleMatch]:
    """Rule 2: a ``principals`` entry equal to the ARN as logged."""
    team = attribution.principals.get(caller.arn)
    if team:
        yield RuleMatch(EXACT_ARN, f"principals[{caller.arn}]", team)


def session_matches(caller: Caller, attribution: AttributionConfig) -> Iterator[RuleMatch]:
    """Rule 3: the first ``session_names`` pattern an assumed-role session's name matches."""
    if caller.session is None:
        return
    found = _first_pattern(caller.session, attribution.session_names)
    if found is not None:
        pattern, team = found
        yield RuleMatch(SESSION_NAME, f"session_names[{pattern}] ({caller.session})", team)


def pattern_matches(caller: Caller, attribution: AttributionConfig) -> Iterator[RuleMatch]:
    """Rule 4: the first ``principals`` pattern matching the ARN, or a session's role ARN."""
    role_arn = caller.iam_arn if caller.kind == "assumed-role" else None
    for pattern, team in attribution.principals.items():
        if pattern != caller.arn and fnmatch.fnmatchcase(caller.arn, pattern):
            yield RuleMatch(PRINCIPAL_PATTERN, f"principals[{pattern}]", team)
            return
        if role_arn is not None and fnmatch.fnmatchcase(role_arn, pattern):
            yield RuleMatch(
                PRINCIPAL_PATTERN, f"principals[{pattern}] (the session's role {role_arn})", team
            )
            return


def tag_matches(
    caller: Caller, attribution: AttributionConfig, principal_tags: PrincipalTags
) -> Iterator[RuleMatch]:
    """Rule 5: the first ``principal_tag_keys`` tag on the user or role that names a team."""
    if not attribution.principal_tag_keys:
        return
    tags = principal_tags.tags(caller.arn)
    owner = caller.iam_arn or caller.arn
    for key in attribution.principal_tag_keys:
        value = (tags.get(key) or "").strip()
        if value:
            team = _known(value, attribution._teams)  # noqa: SLF001 - set by MonitorConfig
            yield RuleMatch(PRINCIPAL_TAG, f"principal tag {key}={value} on {owner}", team)


def principal_matches(
    principal_arn: str,
    metadata: Mapping[str, str],
    attribution: AttributionConfig,
    principal_tags: PrincipalTags | None = None,
    default_team: str | None = None,
) -> Iterator[RuleMatch]:
    """Every rule that matches the caller, lazily, in precedence order."""
    caller = parse_caller(principal_arn)
    yield from metadata_matches(metadata, attribution)
    yield from exact_matches(caller, attribution)
    yield from session_matches(caller, attribution)
    yield from pattern_matches(caller, attribution)
    yield from tag_matches(caller, attribution, principal_tags or NoPrincipalTags())
    if default_team:
        yield RuleMatch(ACCOUNT_DEFAULT, ACCOUNT_DEFAULT_RULE, default_team)


def fallback_rules() -> frozenset[str]:
    """The rule texts of callers no rule above the principal tags decides."""
    return frozenset({ACCOUNT_DEFAULT_RULE, NO_MAPPING})


def attribute_principal(
    principal_arn: str,
    metadata: Mapping[str, str],
    attribution: AttributionConfig,
    principal_tags: PrincipalTags | None = None,
    default_team: str | None = None,
) -> PrincipalAttribution:
    """Resolve a caller (and its request metadata) to a team, naming the deciding rule."""
    for match in principal_matches(
        principal_arn, metadata, attribution, principal_tags, default_team
    ):
        if match.team is not None:
            return PrincipalAttribution(match.team, match.rule)
    return PrincipalAttribution(UNATTRIBUTED, NO_MAPPING)


def explain_principal(
    principal_arn: str,
    metadata: Mapping[str, str],
    attribution: AttributionConfig,
    principal_tags: PrincipalTags | None = None,
    default_team: str | None = None,
) -> Explanation:
    """The deciding rule and every other rule that matched (what `attribution explain` prints)."""
    matches = list(
        principal_matches(principal_arn, metadata, attribution, principal_tags, default_team)
    )
    deciding = [m for m in matches if m.team is not None]
    if not deciding:
        return Explanation(PrincipalAttribution(UNATTRIBUTED, NO_MAPPING), matches)
    first = deciding[0]
    # the deciding rule first, then the rest in precedence order
    ordered = [first, *(m for m in matches if m is not first)]
    return Explanation(PrincipalAttribution(first.team or UNATTRIBUTED, first.rule), ordered)
