"""Receivers that are down or fail, per channel: nothing lost, each message once after recovery,
backoff respected, no secret in logs or in the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts.notifiers import build_notifiers
from alerts.outbox import deliver
from alerts.service import evaluate_once
from core.aws import ClientFactory
from core.models import Notification
from tests.alerts.test_delivery import T0, down_targets, setup
from tests.faults.receivers import Mailbox, Receiver, free_port

pytestmark = pytest.mark.fault

SECRET = "S3CRET-T0KEN"
FAILED_PASSES = 4


def notifier_yaml(channel: str, port: int) -> str:
    url = f"http://127.0.0.1:{port}"
    return {
        "webhook": f'{{type: webhook, url: "{url}/hook/{SECRET}"}}',
        "slack": f'{{type: slack, webhook_url: "{url}/services/T0/B0/{SECRET}"}}',
        "pagerduty": f'{{type: pagerduty, routing_key: "{SECRET}", events_url: "{url}/v2/enqueue"}}',
        "email": f"{{type: email, to: [ops@example.com], smtp_host: 127.0.0.1, smtp_port: {port}, starttls: false}}",
    }[channel]


class Down:
    """A receiver of the channel's kind: down (nothing listens), failing, then recovered."""

    def __init__(self, channel: str, mode: str) -> None:
        self.channel, self.mode = channel, mode
        self.port = free_port()
        self.server: Receiver | Mailbox | None = None
        if mode == "error":
            self.server = (
                Mailbox(self.port, reply="451 4.3.0 try again later")
                if channel == "email"
                else Receiver(self.port, status=500)
            ).start()

    def recover(self) -> Receiver | Mailbox:
        if self.server is None:
            self.server = (
                Mailbox(self.port) if self.channel == "email" else Receiver(self.port)
            ).start()
        elif isinstance(self.server, Mailbox):
            self.server.reply = "250 OK"
        else:
            self.server.status = 200
        return self.server

    def stop(self) -> None:
        if self.server:
            self.server.stop()


def due_gaps(sessions, now) -> list[timedelta]:
    with sessions() as session:
        rows = session.scalars(select(Notification).where(Notification.delivered_at.is_(None)))
        return sorted(n.next_attempt_at - now for n in rows)


@pytest.mark.parametrize("mode", ["down", "error"])
@pytest.mark.parametrize("channel", ["webhook", "slack", "pagerduty", "email"])
def test_a_receiver_down_or_failing_gets_everything_once_after_recovery(
    sessions, channel, mode, caplog
):
    caplog.set_level(logging.DEBUG)
    receiver = Down(channel, mode)
    try:
        config = setup(notifier_yaml(channel, receiver.port))
        channels = build_notifiers(config.notifiers, ClientFactory())
        evaluate_once(sessions, config, down_targets("us-east-1", "us-west-2"), T0)
        later = T0 + timedelta(minutes=1)
        first = deliver(sessions, channels, clock=lambda: T0)
        evaluate_once(sessions, config, down_targets("us-east-1", "us-west-2", "eu-west-1"), later)
        assert (first.delivered, first.failed) == (0, 2)

        # while it fails: each failed attempt pushes the next one further out
        now, gaps = later, []
        for _ in range(FAILED_PASSES):
            report = deliver(sessions, channels, clock=lambda: now)  # noqa: B023 - called here
            assert report.delivered == 0 and report.failed >= 1
            dues = due_gaps(sessions, now)
            gaps.append(dues[-1])
            soonest, now = now + dues[0], now + dues[-1]
        assert gaps == sorted(gaps) and gaps[-1] > gaps[0], gaps
        early = deliver(sessions, channels, clock=lambda: soonest - timedelta(seconds=1))
        assert (early.delivered, early.failed) == (0, 0)  # nothing retried before it is due
        with sessions() as session:
            errors = [n.last_error for n in session.scalars(select(Notification))]
        assert all(errors) and not any(SECRET in e for e in errors), errors

        server = receiver.recover()
        recovered = deliver(sessions, channels, clock=lambda: now)
        again = deliver(sessions, channels, clock=lambda: now + timedelta(hours=1))
    finally:
        receiver.stop()
    with sessions() as session:
        notifications = session.scalars(select(Notification)).all()
    assert len(notifications) == 3 and all(n.delivered_at for n in notifications)
    assert recovered.delivered == 3 and (again.delivered, again.failed) == (0, 0)
    # two messages (three PagerDuty events: one per alert), each received exactly once
    assert len(server.keys) == (3 if channel == "pagerduty" else 2)
    assert set(server.keys.values()) == {1}, server.keys
    assert SECRET not in caplog.text
    print(
        f"FAULT figure: {sessions.kw['bind'].dialect.name}: {channel} receiver {'down' if mode == 'down' else 'failing (HTTP 500 / SMTP 451)'}: "
        f"0 delivered while failing, backoff {', '.join(f'{g.total_seconds():.0f}s' for g in gaps)}; "
        f"after recovery {recovered.delivered} of 3 notifications delivered, each message once; "
        f"0 secrets in logs or last_error"
    )
