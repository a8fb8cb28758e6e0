"""Idle alerts link to the Waste page on their resource when `dashboard.public_url` is set: the
link is stored with the alert and travels in the text, Slack and webhook messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from alerts.notifiers.base import AlertItem, Message
from alerts.notifiers.slack import slack_payload
from alerts.service import evaluate_once
from alerts.snapshot import EndpointState, Snapshot
from core.links import waste_link
from core.models import Alert
from core.settings import ConfigError, parse_config

NOW = datetime(2026, 11, 2, 8, tzinfo=UTC)
ARN = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/idle-llm"
LINK = "https://genai.example.com/monitor/waste?resource=arn%3Aaws%3Asagemaker%3Aus-east-1%3A111111111111%3Aendpoint%2Fidle-llm"


def _config(dashboard: str = ""):
    return parse_config(
        f"alerts: {{rules: [{{kind: idle_endpoint, for: 1h}}], default_route: [oncall]}}\n"
        f"notifiers: {{oncall: {{type: log}}}}\n{dashboard}"
    )


def _snapshot(_session, now):
    endpoint = EndpointState(
        "111111111111", "us-east-1", "Idle-LLM", "search", "real-time", "ml.g5.xlarge", 1,
        True, True, now - timedelta(hours=30), Decimal("30.18"),
    )  # fmt: skip
    return Snapshot(now, endpoints=(endpoint,))


def _details(sessions, config):
    evaluate_once(sessions, config, _snapshot, NOW)
    with sessions() as session:
        return session.scalars(select(Alert)).one().details


def test_an_idle_alert_links_to_the_waste_page_on_its_resource(sessions):
    details = _details(
        sessions, _config("dashboard: {public_url: 'https://genai.example.com/monitor/'}")
    )
    assert details["resource"] == ARN  # AWS spells the name lower-case in the ARN
    assert details["link"] == LINK == waste_link("https://genai.example.com/monitor", ARN)


def test_without_a_public_url_there_is_no_link(sessions):
    details = _details(sessions, _config())
    assert details["resource"] == ARN and "link" not in details


def test_the_link_travels_in_the_messages():
    item = AlertItem(
        "idle_endpoint", "s", "search", "warning", "firing", "idle for 30h", NOW, {"link": LINK}
    )
    message = Message("firing", "idle_endpoint", "search", (item,), "key")
    assert f"- idle for 30h ({LINK})" in message.text
    blocks = slack_payload(message)["blocks"]
    assert f"<{LINK}|Open on the Waste page>" in str(blocks)
    plain = AlertItem("idle_endpoint", "s", "search", "warning", "firing", "idle for 30h", NOW, {})
    assert Message("firing", "r", "t", (plain,), "k").text.endswith("- idle for 30h")


@pytest.mark.parametrize("bad", ["genai.example.com", "ftp://x", "https://a b", "https://x/?q=1"])
def test_a_bad_public_url_is_refused(bad):
    with pytest.raises(ConfigError, match="dashboard's address"):
        _config(f"dashboard: {{public_url: '{bad}'}}")
