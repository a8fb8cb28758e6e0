"""Run every configured policy once per cycle: read its facts, decide, then carry the intents
out (a notice opened or closed with its message queued in one transaction; an action through
the injected ``Perform``, then its notice closed).

Each (policy, cycle) is a claim in ``work_claims`` (core.claims), so of several `run` replicas
exactly one runs a policy in a cycle; the others find it held and move on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from actions.policies.base import Intent, Window, actor
from actions.types import ActionRequest, ActionResult, Perform
from core import registry
from core.actions_settings import ActionsConfig, PolicySettings
from core.claims import NO_TARGET, Claims
from core.models import ActionAudit, ActionNotice
from core.timeutil import utcnow

log = logging.getLogger(__name__)

# tells a team about a notice opened, acted on or cancelled, in the caller's transaction
# (the composition root queues it on the team's channels)
Notify = Callable[[Session, Intent, datetime], None]
# work_claims.source is 32 characters
_SOURCE_LENGTH = 32


@dataclass
class PolicyReport:
    """What one cycle of the policies did."""

    ran: list[str] = field(default_factory=list)
    held_elsewhere: list[str] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)
    results: list[ActionResult] = field(default_factory=list)

    def count(self, what: str) -> int:
        """How many intents of one kind (announce, act, cancel) were carried out."""
        return sum(1 for intent in self.intents if intent.what == what)


def claim_source(policy: str) -> str:
    """The ``work_claims`` source of a policy's cycles."""
    return f"policy:{policy}"[:_SOURCE_LENGTH]


def _audit_announce(session: Session, intent: Intent, now: datetime) -> None:
    """The audit row of an announcement (who will act, on what, when)."""
    resource = intent.resource
    session.add(
        ActionAudit(
            at=now,
            actor=actor(intent.policy),
            action="announce",
            kind=resource.kind,
            resource_arn=resource.arn,
            name=resource.name,
            account_id=resource.account_id,
            region=resource.region,
            team=resource.team,
            outcome="succeeded",
            message=f"{intent.action} after {intent.act_after.isoformat() if intent.act_after else '?'}",
            request_ids=[],
        )
    )


def _close(session: Session, notice_id: int | None, state: str, reason: str, now: datetime) -> None:
    """Close an open notice (a notice already closed by someone else stays as it is)."""
    if notice_id is None:
        return
    session.execute(
        update(ActionNotice)
        .where(ActionNotice.id == notice_id, ActionNotice.state == "open")
        .values(state=state, closed_at=now, reason=reason)
        .execution_options(synchronize_session=False)
    )


def _announce(session: Session, intent: Intent, now: datetime, notify: Notify) -> None:
    """Open a notice, audit it and tell the team."""
    assert intent.act_after is not None  # an announcement always says when
    session.add(
        ActionNotice(
            policy=intent.policy,
            resource_arn=intent.resource.arn,
            team=intent.resource.team,
            announced_at=now,
            act_after=intent.act_after,
            state="open",
            reason=intent.reason,
        )
    )
    _audit_announce(session, intent, now)
    notify(session, intent, now)


def _act(
    sessions: sessionmaker[Session], perform: Perform, intent: Intent, now: datetime, notify: Notify
) -> ActionResult:
    """Perform the action, then close its notice with the outcome and tell the team."""
    assert intent.action is not None
    result = perform(
        ActionRequest(intent.action, intent.resource.arn, actor(intent.policy), True, intent.reason)
    )
    told = replace(intent, reason=f"{result.outcome}: {result.message}")
    with sessions.begin() as session:
        _close(session, intent.notice_id, "acted", told.reason, now)
        notify(session, told, now)
    log.info("policy %s: %s %s: %s", intent.policy, intent.action, intent.resource.arn, told.reason)
    return result


def run_policy(
    sessions: sessionmaker[Session],
    perform: Perform,
    settings: PolicySettings,
    now: datetime,
    window: Window,
    notify: Notify,
) -> tuple[list[Intent], list[ActionResult]]:
    """One policy's cycle: its intents and the results of its actions."""
    entry = registry.policies[settings.kind]
    facts: Any = None
    with sessions() as session:
        if entry.gather is not None:
            facts = entry.gather(session, settings, now, window)
    intents: list[Intent] = entry.decide(now, settings, facts)
    results = []
    for intent in intents:
        if intent.what == "act":
            results.append(_act(sessions, perform, intent, now, notify))
            continue
        with sessions.begin() as session:
            if intent.what == "announce":
                _announce(session, intent, now, notify)
            else:
                _close(session, intent.notice_id, "cancelled", intent.reason, now)
                notify(session, intent, now)
    return intents, results


def run_policies(
    sessions: sessionmaker[Session],
    perform: Perform,
    config: ActionsConfig,
    now: datetime,
    notify: Notify,
    *,
    window: Window,
    claims: Claims | None = None,
    lease: timedelta = timedelta(minutes=15),
) -> PolicyReport:
    """Every configured policy once for the cycle ending at ``window.until`` (nothing when
    actions are off); with ``claims``, only the policies no other process has in this cycle."""
    report = PolicyReport()
    if not config.enabled:
        return report
    for settings in config.policies:
        name = settings.policy_name
        claim = None
        if claims is not None:
            source = claim_source(name)
            claims.offer(source, window.until, [NO_TARGET])
            claim = claims.take(source, window.until, now, lease)
            if claim is None:
                report.held_elsewhere.append(name)
                continue
        outcome = "failed"
        try:
            # an action can outlast the lease (a snapshot, a delete): the claim is kept meanwhile
            with claims.kept(claim, lease, utcnow) if claims and claim else nullcontext():
                intents, results = run_policy(sessions, perform, settings, now, window, notify)
            report.intents += intents
            report.results += results
            report.ran.append(name)
            outcome = "succeeded"
        finally:
            if claims is not None and claim is not None:
                claims.finish(claim, outcome, utcnow())
    return report
