"""What every policy kind shares: the intents a decision returns, and which resources a policy covers."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from actions.types import ActionName

IntentKind = Literal["announce", "act", "cancel"]


@dataclass(frozen=True)
class Resource:
    """One resource a policy may act on, as the waste and endpoint tables name it."""

    arn: str
    kind: str  # sagemaker_endpoint | provisioned_throughput
    name: str
    account_id: str
    region: str
    team: str


@dataclass(frozen=True)
class Intent:
    """What a policy wants done this cycle about one resource.

    announce: open a notice acting after ``act_after`` (and tell the team); act: perform
    ``action`` (closing ``notice_id`` if any); cancel: close ``notice_id`` with ``reason``.
    """

    what: IntentKind
    policy: str
    resource: Resource
    action: ActionName | None = None
    act_after: datetime | None = None
    notice_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Window:
    """The span of time a policy cycle answers for: (``since``, ``until``], the previous cycle's
    boundary to this one's (replicas agree on both)."""

    since: datetime
    until: datetime


def actor(policy: str) -> str:
    """The audit's actor of a policy's actions."""
    return f"policy:{policy}"


def covers(teams: Sequence[str], patterns: Sequence[str], team: str, name: str) -> bool:
    """Whether a policy opted in for ``team`` covers the resource ``name`` (no patterns: every name)."""
    if team not in teams:
        return False
    return not patterns or any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
