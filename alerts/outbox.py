"""Delivery from the outbox: due notifications, grouped into messages, sent, retried with backoff.

Channels are delivered to at once (a bounded pool); each channel's messages go out one by
one, oldest first. No database transaction is open while a message is in flight: a group is
claimed in one short transaction (its retry time pushed past a lease, so no other pass takes
it) and its outcome recorded in another.

A message that went out without an answer in time (outcome unknown: a slow receiver has
usually processed it) is sent again only to an idempotent channel, whose receiver drops the
copy by its key. Any other channel (Slack, e-mail) gets it at most once: it is recorded as
done with its unknown outcome, logged and counted as failed, never re-sent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts.notifiers.base import AlertItem, DeliveryError, Message, Notifier
from core.models import Alert, Notification
from core.timeutil import utcnow

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=10)
# how long a claimed group is not due for anyone else; past it (the process died mid-send)
# the group is due again. Longer than any send: PagerDuty posts once per alert.
LEASE = timedelta(minutes=15)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after ``attempts`` failures: 30 s, doubling, at most 10 minutes, never giving up.

    A channel that is down for an hour is tried again within ten minutes of coming back.
    """
    doublings = max(attempts - 1, 0)
    return min(FIRST_RETRY * (1 << min(doublings, 32)), MAX_RETRY)


@dataclass
class DeliveryReport:
    """What one delivery pass did: notifications delivered, failed, and of the failed how many
    went out without an answer (outcome unknown)."""

    delivered: int = 0
    failed: int = 0
    unknown: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        """Count another report's notifications in this one."""
        self.delivered += other.delivered
        self.failed += other.failed
        self.unknown += other.unknown
        self.errors += other.errors


@dataclass(frozen=True)
class _Group:
    """One due message of a channel: its group key and the alerts it is about."""

    key: str
    alert_ids: frozenset[int]


def _message(group: list[Notification], alerts: Mapping[int, Alert]) -> Message:
    first = group[0]
    items = tuple(
        AlertItem(
            rule=alerts[n.alert_id].rule,
            subject=alerts[n.alert_id].subject,
            team=alerts[n.alert_id].team,
            severity=alerts[n.alert_id].severity,
            state=alerts[n.alert_id].state,
            message=alerts[n.alert_id].message,
            opened_at=alerts[n.alert_id].opened_at,
            details=alerts[n.alert_id].details or {},
        )
        for n in group
    )
    ids = ",".join(str(n.id) for n in group)
    key = hashlib.sha256(f"{first.channel}|{first.group_key}|{ids}".encode()).hexdigest()
    return Message(
        kind=first.kind, rule=items[0].rule, team=items[0].team, alerts=items, idempotency_key=key
    )


def _plan(session: Session, now: datetime) -> dict[str, list[_Group]]:
    """Per channel, its due messages oldest first.

    A message waits while an older message about one of its alerts to the same channel is
    still undelivered, so a resolved message never overtakes its firing one.
    """
    rows = session.execute(
        select(
            Notification.channel,
            Notification.group_key,
            Notification.alert_id,
            Notification.next_attempt_at,
        )
        .where(Notification.delivered_at.is_(None))
        .order_by(Notification.id)
    )
    groups: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    for channel, group_key, alert_id, next_attempt_at in rows:
        groups.setdefault((channel, group_key), []).append((alert_id, next_attempt_at <= now))
    plan: dict[str, list[_Group]] = {}
    waiting: set[tuple[str, int]] = set()
    for (channel, group_key), members in groups.items():
        alert_ids = frozenset(alert_id for alert_id, _due in members)
        if any(due for _id, due in members) and not {(channel, a) for a in alert_ids} & waiting:
            plan.setdefault(channel, []).append(_Group(group_key, alert_ids))
        else:
            waiting |= {(channel, alert_id) for alert_id in alert_ids}
    return plan


def _claim(
    sessions: sessionmaker[Session], channel: str, group_key: str, now: datetime
) -> tuple[list[int], Message, int] | None:
    """Take a due group for one attempt: its ids, its message and its attempt number."""
    with sessions.begin() as session:
        statement = (
            select(Notification)
            .where(
                Notification.channel == channel,
                Notification.group_key == group_key,
                Notification.delivered_at.is_(None),
                Notification.next_attempt_at <= now,
            )
            .order_by(Notification.id)
        )
        if session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        group = list(session.scalars(statement))
        if not group:
            return None  # another process took it
        alerts = {
            alert.id: alert
            for alert in session.scalars(
                select(Alert).where(Alert.id.in_({n.alert_id for n in group}))
            )
        }
        for notification in group:
            notification.attempts += 1
            notification.next_attempt_at = now + LEASE
        return [n.id for n in group], _message(group, alerts), max(n.attempts for n in group)


def _record(
    sessions: sessionmaker[Session],
    ids: list[int],
    now: datetime,
    attempts: int,
    error: DeliveryError | None,
    final: bool,
) -> None:
    """Record one attempt's outcome: delivered, done without an answer (final), or retried later."""
    values: dict[str, object] = {"last_error": None if error is None else str(error)}
    if error is None or final:
        values["delivered_at"] = now
    else:
        values["next_attempt_at"] = now + retry_delay(attempts)
    if error is not None and error.unknown:
        values["unknown_outcomes"] = Notification.unknown_outcomes + 1
    with sessions.begin() as session:
        session.execute(update(Notification).where(Notification.id.in_(ids)).values(**values))


def _send(channel: Notifier | None, name: str, message: Message) -> DeliveryError | None:
    """Send one message; the error it ended with, if any."""
    try:
        if channel is None:
            raise DeliveryError(f"no notifier named {name!r} is configured", retryable=False)
        channel.send(message)
    except DeliveryError as exc:
        return exc
    return None


def _deliver_channel(
    sessions: sessionmaker[Session],
    name: str,
    channel: Notifier | None,
    groups: list[_Group],
    clock: Callable[[], datetime],
) -> DeliveryReport:
    """Send a channel's due messages one by one, in order; a failed message holds back the
    later messages about the same alerts."""
    report = DeliveryReport()
    held: set[int] = set()
    for group in groups:
        if group.alert_ids & held:
            continue
        claimed = _claim(sessions, name, group.key, clock())
        if claimed is None:
            continue
        ids, message, attempts = claimed
        error = _send(channel, name, message)
        final = error is not None and error.unknown and not (channel and channel.idempotent)
        _record(sessions, ids, clock(), attempts, error, final)
        if error is None:
            report.delivered += len(ids)
            continue
        report.failed += len(ids)
        report.errors.append(str(error))
        if error.unknown:
            report.unknown += len(ids)
        if final:
            log.warning(
                "delivery to %s: %s; not sent again, %s has no idempotency key", name, error, name
            )
            continue
        held |= group.alert_ids
        log.warning("delivery to %s failed (attempt %d): %s", name, attempts, error)
    return report


def deliver(
    sessions: sessionmaker[Session],
    channels: Mapping[str, Notifier],
    clock: Callable[[], datetime] = utcnow,
    workers: int = 8,
) -> DeliveryReport:
    """Send every due message once: up to ``workers`` channels at a time, each in order."""
    with sessions() as session:
        plan = _plan(session, clock())
    report = DeliveryReport()
    if not plan:
        return report
    with ThreadPoolExecutor(max_workers=min(workers, len(plan))) as pool:
        futures = [
            pool.submit(_deliver_channel, sessions, name, channels.get(name), groups, clock)
            for name, groups in plan.items()
        ]
        for future in futures:
            report.add(future.result())
    return report
