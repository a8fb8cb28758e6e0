"""Delivery from the outbox: due notifications, grouped into messages, sent, retried with backoff."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.notifiers.base import AlertItem, DeliveryError, Message, Notifier
from core.models import Alert, Notification
from core.timeutil import utcnow

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=10)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after ``attempts`` failures: 30 s, doubling, at most 10 minutes, never giving up.

    A channel that is down for an hour is tried again within ten minutes of coming back.
    """
    doublings = max(attempts - 1, 0)
    return min(FIRST_RETRY * (1 << min(doublings, 32)), MAX_RETRY)


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


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


def _due_groups(session: Session, now: datetime) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Notification.channel, Notification.group_key)
        .where(Notification.delivered_at.is_(None), Notification.next_attempt_at <= now)
        .group_by(Notification.channel, Notification.group_key)
        # oldest first, so a resolved message never overtakes its firing one
        .order_by(func.min(Notification.id))
    )
    return [(channel, group_key) for channel, group_key in rows]


def deliver(
    sessions: sessionmaker[Session],
    channels: Mapping[str, Notifier],
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryReport:
    """Send every due group once; each group is its own transaction, claimed with SKIP LOCKED."""
    report = DeliveryReport()
    with sessions() as session:
        groups = _due_groups(session, clock())
    for channel_name, group_key in groups:
        with sessions.begin() as session:
            now = clock()
            statement = (
                select(Notification)
                .where(
                    Notification.channel == channel_name,
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
                continue  # another process took it
            channel = channels.get(channel_name)
            alerts = {
                alert.id: alert
                for alert in session.scalars(
                    select(Alert).where(Alert.id.in_({n.alert_id for n in group}))
                )
            }
            try:
                if channel is None:
                    raise DeliveryError(
                        f"no notifier named {channel_name!r} is configured", retryable=False
                    )
                channel.send(_message(group, alerts))
            except DeliveryError as exc:
                for notification in group:
                    notification.attempts += 1
                    notification.next_attempt_at = now + retry_delay(notification.attempts)
                    notification.last_error = str(exc)
                report.failed += len(group)
                report.errors.append(str(exc))
                log.warning(
                    "delivery to %s failed (attempt %d): %s", channel_name, group[0].attempts, exc
                )
                continue
            for notification in group:
                notification.attempts += 1
                notification.delivered_at = now
                notification.last_error = None
            report.delivered += len(group)
    return report
