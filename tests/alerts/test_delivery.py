"""Delivery through the outbox to real local servers: HTTP (Slack, PagerDuty, webhook), SMTP, moto's SNS."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import boto3
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from alerts.notifiers import build_notifiers
from alerts.outbox import deliver
from alerts.service import evaluate_once
from alerts.snapshot import Snapshot, TargetFreshness
from core.aws import ClientFactory
from core.models import Notification
from core.settings import parse_config
from tests.alerts.servers import HttpRecorder

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)


@pytest.fixture
def http():
    server = HttpRecorder().start()
    yield server
    server.stop()


def down_targets(*regions):
    def snapshot(_session, now):
        return Snapshot(
            now,
            targets=tuple(
                TargetFreshness("bedrock", "111111111111", r, None, now, "Throttling")
                for r in regions
            ),
        )

    return snapshot


def setup(notifier_yaml: str):
    return parse_config(
        f"""
notifiers:
  chan: {notifier_yaml}
alerts: {{default_route: [chan], rules: [{{kind: stale_data}}]}}
""",
        "t.yaml",
    )


def test_slack_gets_one_grouped_message(sessions, http):
    cfg = setup(f'{{type: slack, webhook_url: "{http.url}/services/T000/B000/SECRET"}}')
    evaluate_once(sessions, cfg, down_targets("us-east-1", "eu-west-1"), T0)
    report = deliver(sessions, build_notifiers(cfg.notifiers, ClientFactory()), clock=lambda: T0)
    assert report.delivered == 2
    (request,) = http.requests
    assert request.path == "/services/T000/B000/SECRET"
    assert request.body["text"].startswith("[FIRING] stale_data (unattributed): 2 alerts")
    assert len(request.body["blocks"]) == 3


def test_pagerduty_triggers_then_resolves_with_the_same_dedup_key(sessions, http):
    cfg = setup(f'{{type: pagerduty, routing_key: "R0UT1NG", events_url: "{http.url}/v2/enqueue"}}')
    channels = build_notifiers(cfg.notifiers, ClientFactory())
    evaluate_once(sessions, cfg, down_targets("us-east-1"), T0)
    deliver(sessions, channels, clock=lambda: T0)
    evaluate_once(sessions, cfg, down_targets(), T0 + timedelta(hours=1))
    deliver(sessions, channels, clock=lambda: T0 + timedelta(hours=1))
    trigger, resolve = (r.body for r in http.requests)
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert (
        trigger["dedup_key"]
        == resolve["dedup_key"]
        == "genai-cost-monitor/stale_data/bedrock/111111111111/us-east-1"
    )
    assert trigger["routing_key"] == "R0UT1NG" and trigger["payload"]["severity"] == "warning"
    assert trigger["payload"]["summary"].startswith(
        "bedrock collection for 111111111111/us-east-1 never succeeded"
    )


def test_a_channel_down_for_an_hour_gets_everything_once_when_it_is_back(sessions, http, caplog):
    cfg = setup(f'{{type: webhook, url: "{http.url}/hook/s3cr3t-token"}}')
    channels = build_notifiers(cfg.notifiers, ClientFactory())
    http.status = 503
    caplog.set_level(logging.WARNING)
    for minute in range(0, 90):
        now = T0 + timedelta(minutes=minute)
        if minute == 10:
            evaluate_once(sessions, cfg, down_targets("us-east-1", "eu-west-1"), now)
        if minute == 40:
            evaluate_once(sessions, cfg, down_targets("us-east-1", "eu-west-1", "ap-south-1"), now)
        if minute == 70:
            http.status = 200  # back after an hour
        deliver(sessions, channels, clock=lambda now=now: now)
    assert http.failures > 3
    groups = [r.body for r in http.requests]
    assert [len(g["alerts"]) for g in groups] == [2, 1]
    assert len({r.headers["Idempotency-Key"] for r in http.requests}) == 2
    with sessions() as session:
        rows = session.scalars(select(Notification)).all()
    assert all(
        n.delivered_at is not None and n.delivered_at <= T0 + timedelta(minutes=80) for n in rows
    )
    assert all(n.last_error is None for n in rows)
    assert "s3cr3t" not in caplog.text and "answered HTTP 503" in caplog.text


def test_the_error_kept_for_a_failing_channel_names_no_secret(sessions, http):
    cfg = setup(f'{{type: slack, webhook_url: "{http.url}/services/T000/B000/SECRET"}}')
    http.status = 404
    evaluate_once(sessions, cfg, down_targets("us-east-1"), T0)
    report = deliver(sessions, build_notifiers(cfg.notifiers, ClientFactory()), clock=lambda: T0)
    assert report.failed == 1
    with sessions() as session:
        (row,) = session.scalars(select(Notification)).all()
    assert row.last_error == "slack notifier chan answered HTTP 404" and row.attempts == 1
    assert row.next_attempt_at == T0 + timedelta(seconds=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def test_email_over_smtp(sessions):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        cfg = setup(
            f"{{type: email, to: [finance@example.com, ops@example.com], smtp_host: 127.0.0.1, smtp_port: {port}, starttls: false, sender: monitor@example.com}}"
        )
        evaluate_once(sessions, cfg, down_targets("us-east-1"), T0)
        report = deliver(
            sessions, build_notifiers(cfg.notifiers, ClientFactory()), clock=lambda: T0
        )
    finally:
        controller.stop()
    assert report.delivered == 1
    ((recipients, mail),) = inbox.messages
    assert recipients == ["finance@example.com", "ops@example.com"]
    assert mail["Subject"] == "[FIRING] stale_data (unattributed): bedrock/111111111111/us-east-1"
    assert mail["From"] == "monitor@example.com" and mail["Message-ID"].endswith(
        "@genai-cost-monitor>"
    )
    assert "never succeeded" in mail.get_payload()


def test_sns_publishes_to_the_topic(aws, sessions):
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="genai-cost-monitor-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    cfg = setup(f"{{type: sns, topic_arn: {topic}}}")
    factory = ClientFactory()
    evaluate_once(sessions, cfg, down_targets("us-east-1"), T0)
    assert (
        deliver(sessions, build_notifiers(cfg.notifiers, factory), clock=lambda: T0).delivered == 1
    )
    (received,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert received["Body"].startswith("[FIRING] stale_data (unattributed)")
    assert factory.counter.count("sns", "Publish") == 1


def test_an_unconfigured_channel_keeps_its_notifications(sessions):
    cfg = setup("{type: log}")
    evaluate_once(sessions, cfg, down_targets("us-east-1"), T0)
    report = deliver(sessions, {}, clock=lambda: T0)
    assert report.failed == 1 and "no notifier named 'chan' is configured" in report.errors[0]
