"""IAM principal tags for attribution (#14): the tags of the users and roles that call Bedrock,
read with iam:ListUserTags / iam:ListRoleTags, cached in ``principal_tags`` and refetched when
older than a day.

The invocation-log collector asks once per target and cycle for the callers it saw
(:func:`principal_tag_lookup`, only when ``attribution.principal_tag_keys`` is set: no tag rule,
no IAM call); `attribution explain --refresh-tags` asks for one. Only the
target account's users and roles are read (IAM answers for its own account). Denied or gone
(AccessDenied, NoSuchEntity) is a warning and no tags, cached like an answer so the next read
waits a day; a throttled or failed read keeps the old entry and is tried again next time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.aws import AwsDenied, AwsError, ClientFactoryFn, Target, pages
from core.db import upsert
from core.models_principal_tags import TAGS_DENIED, TAGS_MISSING, TAGS_READ, PrincipalTagSet
from core.principal_arns import parse_caller
from core.principal_tag_cache import CachedPrincipalTags, CachedTags, read_cached_tags, tag_owners

log = logging.getLogger(__name__)

# cached tags older than this are read again
REFRESH_AFTER = timedelta(hours=24)
# tags per ListUserTags / ListRoleTags page (IAM allows 50 tags per user or role)
PAGE_ITEMS = 100


def tags_of_pages(answers: Iterable[dict[str, Any]]) -> dict[str, str]:
    """The tags of ListUserTags / ListRoleTags pages (pure)."""
    return {tag["Key"]: tag["Value"] for page in answers for tag in page.get("Tags", [])}


def fetch_tags(iam: Any, owner: str, now: datetime) -> CachedTags | None:
    """Read one user's or role's tags; None when the read failed for now (keep the old entry)."""
    caller = parse_caller(owner)
    if caller.kind == "user":
        method, params = "list_user_tags", {"UserName": caller.name}
    else:
        method, params = "list_role_tags", {"RoleName": caller.name}
    try:
        answers = pages(iam, method, token_param="Marker", MaxItems=PAGE_ITEMS, **params)
        tags = tags_of_pages(answers)
    except AwsDenied as exc:
        log.warning("cannot read the tags of %s: %s (attributed without them)", owner, exc)
        return CachedTags(owner, {}, TAGS_DENIED, now)
    except AwsError as exc:
        if exc.code == "NoSuchEntity":
            log.warning("%s does not exist (any more): no principal tags", owner)
            return CachedTags(owner, {}, TAGS_MISSING, now)
        log.warning("cannot read the tags of %s now: %s (the cached ones are kept)", owner, exc)
        return None
    return CachedTags(owner, tags, TAGS_READ, now)


def _due(owner: str, cached: dict[str, CachedTags], now: datetime, max_age: timedelta) -> bool:
    entry = cached.get(owner)
    return entry is None or now - entry.fetched_at >= max_age


def principal_tag_lookup(
    session: Session,
    clients: ClientFactoryFn,
    account: Target,
    principal_arns: Iterable[str],
    now: datetime,
    *,
    max_age: timedelta = REFRESH_AFTER,
) -> CachedPrincipalTags:
    """The tags of these callers' users and roles: the cached ones younger than ``max_age``, the
    rest (of the target's account) read from IAM and cached. The caller owns the transaction."""
    owners = tag_owners(principal_arns)
    cached = read_cached_tags(session, owners)
    due = sorted(
        owner
        for owner in owners
        if parse_caller(owner).account_id == account.account_id
        and _due(owner, cached, now, max_age)
    )
    if due:
        iam = clients("iam", account)
        fetched = [entry for owner in due if (entry := fetch_tags(iam, owner, now))]
        upsert(
            session,
            PrincipalTagSet,
            [
                {
                    "principal_arn": entry.principal_arn,
                    "tags": dict(entry.tags),
                    "outcome": entry.outcome,
                    "fetched_at": entry.fetched_at,
                }
                for entry in fetched
            ],
        )
        cached.update({entry.principal_arn: entry for entry in fetched})
    return CachedPrincipalTags(cached)
