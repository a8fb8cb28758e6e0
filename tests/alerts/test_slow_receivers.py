"""Receivers that answer after the timeout: each message processed once, never twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from alerts.notifiers import build_notifiers
from alerts.outbox import deliver
from alerts.service import evaluate_once
from core.aws import ClientFactory
from core.models import Notification
from tests.alerts.servers import HttpRecorder
from tests.alerts.test_delivery import Inbox, down_targets, free_port, setup

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
TIMEOUT = 0.5  # the channel's timeout_seconds
SLOW = 1.0  # the receiver works this long before answering
MESSAGES = 31
# delivery passes: now, then after every backoff has elapsed
PASSES = [T0 + timedelta(minutes=minutes) for minutes in (1, 2, 5, 20)]

pytestmark = pytest.mark.fault


def queue_messages(sessions, cfg, count: int) -> None:
    """``count`` messages: every evaluation finds one more target down (one new alert each)."""
    regions = [f"region-{i}" for i in range(count)]
    for i in range(count):
        evaluate_once(sessions, cfg, down_targets(*regions[: i + 1]), T0 + timedelta(seconds=i))


def deliver_passes(sessions, cfg) -> list:
    channels = build_notifiers(cfg.notifiers, ClientFactory())
    return [deliver(sessions, channels, clock=lambda now=now: now) for now in PASSES]


def rows(sessions) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def duplicates(texts: list[str]) -> int:
    return sum(count - 1 for count in Counter(texts).values())


@pytest.fixture
def slow_http():
    server = HttpRecorder(delay=SLOW).start()
    yield server
    server.stop()


def test_a_slow_slack_receiver_processes_each_message_once(sessions, slow_http):
    cfg = setup(
        f'{{type: slack, webhook_url: "{slow_http.url}/services/T/B/S", timeout_seconds: {TIMEOUT}}}'
    )
    queue_messages(sessions, cfg, MESSAGES)
    reports = deliver_passes(sessions, cfg)
    texts = [r.body["text"] for r in slow_http.requests]
    print(
        f"\n{MESSAGES} sent to a {SLOW} s-slow slack receiver with timeout {TIMEOUT} s: "
        f"{len(texts)} processed, {duplicates(texts)} duplicates"
    )
    assert len(set(texts)) == MESSAGES
    assert duplicates(texts) == 0
    # sent once, no answer: recorded as unconfirmed, not re-sent, counted as failed once
    assert all(n.delivered_at is not None and n.unknown_outcomes == 1 for n in rows(sessions))
    assert all("no answer within 0.5 s" in n.last_error for n in rows(sessions))
    assert reports[0].failed == reports[0].unknown == MESSAGES
    assert [r.failed + r.delivered for r in reports[1:]] == [0, 0, 0]


def test_a_slow_webhook_is_retried_with_the_same_key_and_processes_each_once(sessions, slow_http):
    slow_http.dedup = True
    cfg = setup(f'{{type: webhook, url: "{slow_http.url}/hook", timeout_seconds: {TIMEOUT}}}')
    queue_messages(sessions, cfg, MESSAGES)
    reports = deliver_passes(sessions, cfg)
    keys = [r.headers["Idempotency-Key"] for r in slow_http.requests]
    print(
        f"\n{MESSAGES} sent to a {SLOW} s-slow webhook (dedup by Idempotency-Key) with timeout "
        f"{TIMEOUT} s: {len(keys)} processed, {duplicates(keys)} duplicates, "
        f"{slow_http.dropped} re-deliveries dropped by the key"
    )
    assert len(keys) == MESSAGES and duplicates(keys) == 0
    assert slow_http.dropped == MESSAGES  # every unknown outcome was retried, with its key
    assert reports[0].unknown == MESSAGES and reports[1].delivered == MESSAGES
    assert all(n.delivered_at == PASSES[1] and n.last_error is None for n in rows(sessions))
    assert all(n.unknown_outcomes == 1 for n in rows(sessions))


class SlowInbox(Inbox):
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(SLOW)
        return "250 OK"


def test_a_slow_smtp_server_gets_each_mail_once_with_a_stable_message_id(sessions):
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        cfg = setup(
            f"{{type: email, to: [ops@example.com], smtp_host: 127.0.0.1, smtp_port: {port}, "
            f"starttls: false, timeout_seconds: {TIMEOUT}}}"
        )
        queue_messages(sessions, cfg, 5)
        deliver_passes(sessions, cfg)
    finally:
        controller.stop()
    ids = [mail["Message-ID"] for _to, mail in inbox.messages]
    print(
        f"\n5 mails to a {SLOW} s-slow SMTP server, timeout {TIMEOUT} s: {duplicates(ids)} copies"
    )
    assert len(ids) == 5 and duplicates(ids) == 0
    assert all(n.unknown_outcomes == 1 and n.delivered_at for n in rows(sessions))


def test_a_refused_connection_is_retried_until_it_is_delivered(sessions, http_port_closed):
    cfg = setup(f'{{type: slack, webhook_url: "http://127.0.0.1:{http_port_closed}/x"}}')
    queue_messages(sessions, cfg, 2)
    channels = build_notifiers(cfg.notifiers, ClientFactory())
    first = deliver(sessions, channels, clock=lambda: PASSES[0])
    assert first.failed == 2 and first.unknown == 0
    assert all(n.delivered_at is None and n.unknown_outcomes == 0 for n in rows(sessions))
    assert "unreachable" in first.errors[0]


@pytest.fixture
def http_port_closed() -> int:
    return free_port()
