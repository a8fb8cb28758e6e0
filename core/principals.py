"""Who a Bedrock caller belongs to: an IAM principal ARN (and the call's request metadata) to a
team, with the rule that decided it (#14).

The interface the invocation-log collector and `attribution explain` share. Precedence (first
rule that names a team wins; the account's default team, else ``unattributed``, come last):

1. ``attribution.principals`` entry equal to the ARN (an exact ARN);
2. ``attribution.principals`` shell-style patterns, in the config's order;
3. IAM principal tags (``attribution.principal_tag_keys``, in order) on the user or role;
4. the account's default team;
5. ``unattributed``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from core.settings import UNATTRIBUTED, AttributionConfig


@dataclass(frozen=True)
class PrincipalAttribution:
    """The team of a caller and the rule that decided it (printed by `attribution explain`)."""

    team: str
    rule: str


class PrincipalTags(Protocol):
    """The IAM tags of the user or role behind a principal ARN (empty when unknown)."""

    def tags(self, principal_arn: str) -> Mapping[str, str]: ...


class NoPrincipalTags:
    """A lookup that knows no tags (the collector has no IAM read, or none are configured)."""

    def tags(self, principal_arn: str) -> Mapping[str, str]:
        """Always empty."""
        return {}


def attribute_principal(
    principal_arn: str,
    metadata: Mapping[str, str],
    attribution: AttributionConfig,
    principal_tags: PrincipalTags | None = None,
    default_team: str | None = None,
) -> PrincipalAttribution:
    """Resolve a caller (and its request metadata) to a team, naming the deciding rule."""
    exact = attribution.principals.get(principal_arn)
    if exact:
        return PrincipalAttribution(exact, f"principals[{principal_arn}]")
    for pattern, team in attribution.principals.items():
        if fnmatch.fnmatchcase(principal_arn, pattern):
            return PrincipalAttribution(team, f"principals[{pattern}]")
    tags = (principal_tags or NoPrincipalTags()).tags(principal_arn)
    for key in attribution.principal_tag_keys:
        value = (tags.get(key) or "").strip()
        if value:
            return PrincipalAttribution(value, f"principal tag {key}")
    if default_team:
        return PrincipalAttribution(default_team, "account default team")
    return PrincipalAttribution(UNATTRIBUTED, "no principal mapping")
