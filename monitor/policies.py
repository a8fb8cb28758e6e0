"""The action policies inside `run`: the engine that performs (actions.engine, imported when a
cycle first needs it), the team messages of notices (queued on the alert outbox, so they go to
the team's routes like its alerts), and one claimed cycle of every policy."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.policies.base import Intent, Window
from actions.policies.runner import Notify, PolicyReport, claim_source, run_policies
from actions.types import ActionRequest, ActionResult, Perform
from alerts.engine import AlertEngine
from core.alert_state import AlertState
from core.claims import Claims
from core.models import Alert, Notification
from core.settings import MonitorConfig
from core.timeutil import utcnow

# how long the claims of past policy cycles are kept for operators to read
CLAIM_HISTORY = timedelta(days=7)


def engine_performer(
    sessions: sessionmaker[Session],
    clients: object,
    config: MonitorConfig,
    clock: Callable[[], datetime] = utcnow,
) -> Perform:
    """The real engine (``actions.engine.performer``) for the config's ``actions``, imported on
    first use: `run` without actions enabled never loads it."""
    module = importlib.import_module("actions.engine")
    performer: Callable[..., Perform] = module.performer
    return performer(sessions, clients, config.actions, clock=clock)


class LazyPerform:
    """A Perform that builds the engine at its first request."""

    def __init__(self, build: Callable[[], Perform]) -> None:
        self._build = build
        self._perform: Perform | None = None

    def __call__(self, request: ActionRequest) -> ActionResult:
        if self._perform is None:
            self._perform = self._build()
        return self._perform(request)


def _message(intent: Intent) -> str:
    """One line for the team about a notice."""
    resource = intent.resource
    where = f"{resource.name} ({resource.account_id}/{resource.region})"
    if intent.what == "announce":
        return (
            f"{intent.policy} will {intent.action} {where} after "
            f"{intent.act_after.isoformat() if intent.act_after else 'its notice'} ({intent.reason}); "
            "tag it keep-alive-until=YYYY-MM-DD or silence its idle alert to keep it"
        )
    if intent.what == "cancel":
        return f"{intent.policy} will not act on {where}: {intent.reason}"
    return f"{intent.policy} acted on {where}: {intent.action} {intent.reason}"


def outbox_notifier(config: MonitorConfig) -> Notify:
    """Queue notice messages on the team's channels: a notice is an alert row of rule
    ``policy:<name>`` (kept out of the rule engine's lifecycle: never in an open state), told
    "firing" when announced and "resolved" when acted on or cancelled."""

    routes = AlertEngine(config).routes  # a notice goes where the team's alerts go

    def notify(session: Session, intent: Intent, now: datetime) -> None:
        if intent.what != "announce" and intent.notice_id is None:
            return  # a scheduled action: the audit records it, nobody was told it is coming
        rule, subject = f"policy:{intent.policy}"[:64], intent.resource.arn
        kind = "firing" if intent.what == "announce" else "resolved"
        alert = _notice_alert(session, rule, subject, intent, now)
        alert.message = _message(intent)
        if kind == "resolved":
            alert.resolved_at = now
        session.flush()
        for channel in routes(intent.resource.team):
            session.add(
                Notification(
                    alert_id=alert.id,
                    channel=channel,
                    kind=kind,
                    sequence=0,
                    group_key=f"{now.isoformat()}|{rule}|{intent.resource.team}|{kind}",
                    created_at=now,
                    attempts=0,
                    next_attempt_at=now,
                )
            )
        alert.last_notified_at = now

    return notify


def _notice_alert(
    session: Session, rule: str, subject: str, intent: Intent, now: datetime
) -> Alert:
    """The alert row of an announcement (new), or of the announcement a closing notice answers."""
    if intent.what != "announce":
        found = session.scalars(
            select(Alert)
            .where(Alert.rule == rule, Alert.subject == subject, Alert.resolved_at.is_(None))
            .order_by(Alert.opened_at.desc())
            .limit(1)
        ).first()
        if found is not None:
            return found
    alert = Alert(
        rule=rule,
        subject=subject,
        opened_at=now,
        team=intent.resource.team,
        severity="warning",
        state=AlertState.RESOLVED,
        active_since=now,
        fired_at=now,
        last_seen_at=now,
        message="",
        details={"resource": subject, "action": intent.action, "policy": intent.policy},
    )
    session.add(alert)
    return alert


def run_cycle(
    sessions: sessionmaker[Session],
    perform: Perform,
    config: MonitorConfig,
    claims: Claims,
    now: datetime,
    cycle: datetime,
    interval: timedelta,
) -> PolicyReport:
    """One cycle of every policy, each claimed for ``cycle`` (the window since the previous one)."""
    for settings in config.actions.policies:
        claims.release_abandoned(claim_source(settings.policy_name))
        claims.prune(claim_source(settings.policy_name), cycle - CLAIM_HISTORY)
    return run_policies(
        sessions,
        perform,
        config.actions,
        now,
        outbox_notifier(config),
        window=Window(cycle - interval, cycle),
        claims=claims,
        lease=interval,
    )
