"""The principal tags cache as attribution reads it: the stored IAM tags of users and roles,
looked up by any caller ARN (a session's tags are its role's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models_principal_tags import PrincipalTagSet
from core.principal_arns import parse_caller


@dataclass(frozen=True)
class CachedTags:
    """One user's or role's tags as last fetched, and how that fetch ended."""

    principal_arn: str
    tags: Mapping[str, str]
    outcome: str
    fetched_at: datetime

    @classmethod
    def from_model(cls, model: PrincipalTagSet) -> CachedTags:
        """From a stored row."""
        return cls(model.principal_arn, dict(model.tags), model.outcome, model.fetched_at)


class CachedPrincipalTags:
    """A :class:`core.principals.PrincipalTags` over cached tags (no AWS call)."""

    def __init__(self, entries: Mapping[str, CachedTags]) -> None:
        self.entries = dict(entries)

    def entry(self, principal_arn: str) -> CachedTags | None:
        """The cache entry of the caller's user or role, None if never fetched."""
        owner = parse_caller(principal_arn).iam_arn
        return self.entries.get(owner) if owner else None

    def tags(self, principal_arn: str) -> Mapping[str, str]:
        """The tags of the caller's user or role (empty when unknown)."""
        entry = self.entry(principal_arn)
        return entry.tags if entry else {}


def tag_owners(principal_arns: Iterable[str]) -> set[str]:
    """The IAM user and role ARNs whose tags these callers carry (others have none)."""
    return {owner for arn in principal_arns if (owner := parse_caller(arn).iam_arn)}


def read_cached_tags(session: Session, owners: Iterable[str]) -> dict[str, CachedTags]:
    """The cached entries of these user and role ARNs."""
    wanted = sorted(set(owners))
    found: dict[str, CachedTags] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists
        statement = select(PrincipalTagSet).where(
            PrincipalTagSet.principal_arn.in_(wanted[start : start + 500])
        )
        for model in session.scalars(statement):
            found[model.principal_arn] = CachedTags.from_model(model)
    return found


def cached_principal_tags(session: Session, principal_arns: Iterable[str]) -> CachedPrincipalTags:
    """The cached tags of these callers' users and roles, however old."""
    return CachedPrincipalTags(read_cached_tags(session, tag_owners(principal_arns)))
