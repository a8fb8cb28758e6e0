"""Channels are delivered to at once; each channel's messages arrive one by one, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.notifiers import build_notifiers
from alerts.outbox import deliver
from alerts.service import evaluate_once
from core.aws import ClientFactory
from core.settings import parse_config
from tests.alerts.servers import HttpRecorder
from tests.alerts.test_delivery import down_targets

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)


@pytest.fixture
def servers():
    started = [HttpRecorder(delay=0.2).start() for _ in range(3)]
    yield started
    for server in started:
        server.stop()


def webhooks(servers, workers: int = 8):
    hooks = "\n".join(
        f'  hook{i}: {{type: webhook, url: "{server.url}/hook", timeout_seconds: 5}}'
        for i, server in enumerate(servers)
    )
    names = ", ".join(f"hook{i}" for i in range(len(servers)))
    return parse_config(
        f"""
notifiers:
{hooks}
alerts:
  delivery_workers: {workers}
  default_route: [{names}]
  rules: [{{kind: stale_data, notify_resolved: true}}]
""",
        "t.yaml",
    )


def kinds(server) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (r.body["kind"], tuple(a["subject"] for a in r.body["alerts"])) for r in server.requests
    ]


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_three_slow_channels_are_served_at_once_each_in_order(sessions, servers):
    cfg = webhooks(servers)
    regions = [f"region-{i}" for i in range(3)]
    for i in range(3):
        evaluate_once(sessions, cfg, down_targets(*regions[: i + 1]), T0 + timedelta(seconds=i))
    evaluate_once(sessions, cfg, down_targets(), T0 + timedelta(minutes=1))  # all resolved
    report = deliver(
        sessions,
        build_notifiers(cfg.notifiers, ClientFactory()),
        clock=lambda: T0 + timedelta(minutes=1),
    )
    assert report.delivered == 3 * 6 and report.failed == 0
    expected = [("firing", (f"bedrock/111111111111/{r}",)) for r in regions]
    for server in servers:
        assert kinds(server)[:3] == expected
        assert kinds(server)[3][0] == "resolved" and len(kinds(server)) == 4
        # one channel: one request at a time
        spans = sorted(server.intervals)
        assert all(not overlap(a, b) for a, b in zip(spans, spans[1:], strict=False))
    # different channels: their requests overlap in time
    first, second, third = (server.intervals for server in servers)
    assert any(overlap(a, b) for a in first for b in second)
    assert any(overlap(a, b) for a in second for b in third)
    busy = sum(end - start for server in servers for start, end in server.intervals)
    span = max(e for s in servers for _, e in s.intervals) - min(
        b for s in servers for b, _ in s.intervals
    )
    print(f"\n12 messages to 3 channels 0.2 s slow: {busy:.1f} s of requests in {span:.1f} s")


def test_one_worker_serves_the_channels_one_after_another(sessions, servers):
    cfg = webhooks(servers, workers=1)
    evaluate_once(sessions, cfg, down_targets("us-east-1"), T0)
    channels = build_notifiers(cfg.notifiers, ClientFactory())
    deliver(sessions, channels, clock=lambda: T0, workers=cfg.alerts.delivery_workers)
    spans = sorted(span for server in servers for span in server.intervals)
    assert len(spans) == 3
    assert all(not overlap(a, b) for a, b in zip(spans, spans[1:], strict=False))


def test_a_resolved_message_waits_for_its_failed_firing_one(sessions, servers):
    server = servers[0]
    cfg = webhooks([server])
    channels = build_notifiers(cfg.notifiers, ClientFactory())
    evaluate_once(sessions, cfg, down_targets("us-east-1"), T0)
    server.status = 503
    assert deliver(sessions, channels, clock=lambda: T0).failed == 1
    server.status = 200
    evaluate_once(sessions, cfg, down_targets(), T0 + timedelta(seconds=10))
    # the resolved message is due, its firing one is not (backoff): the resolved one waits
    assert deliver(sessions, channels, clock=lambda: T0 + timedelta(seconds=10)).delivered == 0
    assert deliver(sessions, channels, clock=lambda: T0 + timedelta(minutes=1)).delivered == 2
    assert [kind for kind, _ in kinds(server)] == ["firing", "resolved"]
