"""What the policies read from the database (core tables only: the waste rows, the endpoints
and their tags, the silences, the notices, the snapshots and the audit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.policies.base import Resource, actor
from core.models import (
    ActionAudit,
    ActionNotice,
    Endpoint,
    ProvisionedThroughput,
    Silence,
    Snapshot,
)
from core.queries.waste import KINDS, waste_rows
from core.queries.waste_endpoints import KIND as ENDPOINT_KIND
from core.queries.waste_endpoints import endpoint_arn
from core.queries.waste_row import WasteScope

STOPS = ("delete", "scale-to-zero")
# every idle resource is read (an hour without a call, as the alert rules' floor); each policy
# applies its own ``after``
_FLOOR = timedelta(hours=1)


@dataclass(frozen=True)
class IdleResource:
    """An idle resource a policy might stop: since when, how it stops, its tags, whether silenced."""

    resource: Resource
    idle_since: datetime
    action: str  # as the waste rows say: "delete (snapshot first)", "scale-to-zero", "report only"
    tags: dict[str, str] = field(default_factory=dict)
    silenced: bool = False


@dataclass(frozen=True)
class OpenNotice:
    """A policy's open notice on one resource."""

    id: int
    resource_arn: str
    team: str
    act_after: datetime

    @property
    def resource(self) -> Resource:
        """The resource as far as its ARN tells (``arn:aws:<service>:<region>:<account>:<type>/<name>``)."""
        parts = self.resource_arn.split(":", 5)
        region, account = (parts[3], parts[4]) if len(parts) == 6 else ("", "")
        return Resource(
            self.resource_arn, "", self.resource_arn.rsplit("/", 1)[-1], account, region, self.team
        )


def _tags(session: Session, teams: Sequence[str]) -> dict[str, dict[str, str]]:
    """The tags of every live endpoint and provisioned throughput of ``teams``, by ARN."""
    tags: dict[str, dict[str, str]] = {}
    endpoints = select(Endpoint).where(Endpoint.deleted_at.is_(None), Endpoint.team.in_(teams))
    for endpoint in session.scalars(endpoints):
        arn = endpoint.endpoint_arn or endpoint_arn(
            endpoint.account_id, endpoint.region, endpoint.endpoint_name
        )
        tags[arn] = dict(endpoint.tags or {})
    pts = select(ProvisionedThroughput).where(
        ProvisionedThroughput.deleted_at.is_(None), ProvisionedThroughput.team.in_(teams)
    )
    for pt in session.scalars(pts):
        tags[pt.arn] = dict(pt.tags or {})
    return tags


def idle_resources(session: Session, teams: Sequence[str], now: datetime) -> list[IdleResource]:
    """Every idle resource of ``teams`` at ``now`` with its tags and whether a silence covers its
    idle alert (a silence on the resource holds its policies too)."""
    if not teams:
        return []
    rules = {kind.name: kind.rule or kind.name for kind in KINDS}
    scope = WasteScope(at=now, teams=list(teams), min_idle=dict.fromkeys(rules, _FLOOR))
    silences = list(
        session.scalars(select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now))
    )
    tags = _tags(session, teams)
    found = []
    for row in waste_rows(session, scope):
        subject = f"{row.account_id}/{row.region}/{row.name}"
        resource = Resource(row.resource, row.kind, row.name, row.account_id, row.region, row.team)
        silenced = any(s.covers(rules[row.kind], subject, row.team) for s in silences)
        found.append(
            IdleResource(resource, row.idle_since, row.action, tags.get(row.resource, {}), silenced)
        )
    return found


def open_notices(session: Session, policy: str) -> list[OpenNotice]:
    """The policy's open notices."""
    statement = select(ActionNotice).where(
        ActionNotice.policy == policy, ActionNotice.state == "open"
    )
    return [
        OpenNotice(n.id, n.resource_arn, n.team, n.act_after) for n in session.scalars(statement)
    ]


def last_acted(session: Session, policy: str) -> dict[str, datetime]:
    """Per resource ARN: when the policy last closed a notice by acting on it."""
    statement = select(ActionNotice.resource_arn, ActionNotice.closed_at).where(
        ActionNotice.policy == policy,
        ActionNotice.state == "acted",
        ActionNotice.closed_at.is_not(None),
    )
    acted: dict[str, datetime] = {}
    for arn, closed_at in session.execute(statement).all():
        if closed_at is not None:
            acted[arn] = max(closed_at, acted.get(arn, closed_at))
    return acted


def _stopped(session: Session, by: str | None) -> list[Snapshot]:
    """Snapshots of resources stopped (a succeeded delete or scale-to-zero) and not restored."""
    stops = select(ActionAudit.snapshot_id).where(
        ActionAudit.action.in_(STOPS), ActionAudit.outcome == "succeeded"
    )
    if by is not None:
        stops = stops.where(ActionAudit.actor == by)
    statement = select(Snapshot).where(Snapshot.restored_at.is_(None), Snapshot.id.in_(stops))
    return list(session.scalars(statement.order_by(Snapshot.taken_at)))


def unrestored_arns(session: Session) -> set[str]:
    """The ARNs of every resource stopped and not yet restored (by anyone)."""
    return {snapshot.resource_arn for snapshot in _stopped(session, None)}


def stopped_by(session: Session, policy: str) -> list[Resource]:
    """The resources ``policy`` stopped that are not restored yet."""
    return [
        Resource(s.resource_arn, s.kind, s.name, s.account_id, s.region, s.team)
        for s in _stopped(session, actor(policy))
    ]


def live_endpoints(session: Session, teams: Sequence[str]) -> list[Resource]:
    """The endpoints of ``teams`` in service now (as last collected)."""
    statement = select(Endpoint).where(
        Endpoint.deleted_at.is_(None), Endpoint.status == "InService", Endpoint.team.in_(teams)
    )
    return [
        Resource(
            e.endpoint_arn or endpoint_arn(e.account_id, e.region, e.endpoint_name),
            ENDPOINT_KIND,
            e.endpoint_name,
            e.account_id,
            e.region,
            e.team,
        )
        for e in session.scalars(statement)
    ]
