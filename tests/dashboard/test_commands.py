"""`genai-monitor report weekly` (file and e-mail) and `genai-monitor dashboard`, on a seeded database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from email import message_from_bytes
from email.policy import default

import pytest
import requests
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import func, select

from core.db import make_engine, session_factory
from core.models import CostDaily
from demo import small as world
from monitor.cli import main
from monitor.migrate import upgrade

SMTP_CONFIG = (
    world.CONFIG_YAML
    + """
notifiers:
  finance: {type: email, to: [finance@example.com], smtp_host: 127.0.0.1, smtp_port: PORT, starttls: false, sender: monitor@example.com}
"""
)


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'report.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        world.seed(session)
    yield url, session_factory(engine)
    engine.dispose()


@pytest.fixture
def cli(tmp_path, monkeypatch, seeded_sqlite):
    def run(*args, config=world.CONFIG_YAML):
        path = tmp_path / "genai-monitor.yaml"
        path.write_text(config)
        monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(path))
        monkeypatch.setenv("DATABASE_URL", seeded_sqlite[0])
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def billed(sessions, start, end) -> Decimal:
    with sessions() as session:
        total = session.scalar(
            select(func.sum(CostDaily.amount_usd)).where(
                CostDaily.day >= start, CostDaily.day < end
            )
        )
    return Decimal(str(total)).quantize(Decimal("0.01"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_report_weekly_writes_a_self_contained_digest(cli, seeded_sqlite, tmp_path):
    out = tmp_path / "digest.html"
    result = cli("report", "weekly", "--week", "2026-W11", "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    monday = world.TODAY - timedelta(days=world.TODAY.weekday() + 7)
    this_week = billed(seeded_sqlite[1], monday, monday + timedelta(days=7))
    last_week = billed(seeded_sqlite[1], monday - timedelta(days=7), monday)
    assert re.search(r'id="total-this-week">\$([\d,.]+)<', html).group(1) == f"{this_week:,.2f}"
    assert re.search(r'id="total-last-week">\$([\d,.]+)<', html).group(1) == f"{last_week:,.2f}"
    assert "GenAI spend, week 2026-W11" in html and "(to date)" not in html
    for team in ("search", "support", "unattributed"):
        assert f"<td>{team}</td>" in html
    # nothing to fetch: no script, no external style sheet or image
    assert "<script" not in html and not re.search(r'(src|href)="http', html)
    # the budget alert resolved that week is listed
    assert "budget_threshold" in html.split("Resolved alerts")[1]


def test_report_weekly_defaults_to_the_last_complete_week_on_stdout(cli):
    result = cli("report", "weekly")
    assert result.exit_code == 0
    # no --week: the clock is real, so only the shape is known
    assert result.output.startswith("<!DOCTYPE html>") and "GenAI spend, week " in result.output


def test_report_weekly_is_emailed_through_the_alerts_smtp_settings(cli):
    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append(
                (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default))
            )
            return "250 OK"

    port = free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = cli(
            "report",
            "weekly",
            "--week",
            "2026-W11",
            "--email",
            config=SMTP_CONFIG.replace("PORT", str(port)),
        )
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "e-mailed the 2026-W11 digest to finance@example.com" in result.output
    ((recipients, mail),) = received
    assert recipients == ["finance@example.com"] and mail["Subject"] == "GenAI spend, week 2026-W11"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<h1>GenAI spend, week 2026-W11</h1>" in html
    assert "search:" in text


def test_report_weekly_usage_errors(cli):
    result = cli("report", "weekly", "--week", "last week")
    assert result.exit_code == 2 and "expected an ISO week like 2026-W07" in result.output
    result = cli("report", "weekly", "--email")
    assert result.exit_code == 2 and "email" in result.output


def test_dashboard_command_serves_with_auth_from_the_environment(tmp_path, seeded_sqlite):
    port = free_port()
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(world.CONFIG_YAML)
    env = {
        **os.environ,
        "DATABASE_URL": seeded_sqlite[0],
        "GENAI_MONITOR_CONFIG": str(config),
        "GENAI_MONITOR_DASHBOARD_USER": "ops",
        "GENAI_MONITOR_DASHBOARD_PASSWORD": "pw",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _attempt in range(100):
            try:
                requests.get(url, timeout=5)
                break
            except requests.RequestException:  # not listening yet, or its workers still booting
                time.sleep(0.2)
        assert requests.get(url + "/_dash-layout", timeout=5).status_code == 401
        answer = requests.get(url + "/", auth=("ops", "pw"), timeout=5)
        assert answer.status_code == 200 and "GenAI cost monitor" in answer.text
        # gunicorn's workers, not Flask's development server
        assert answer.headers["Server"].startswith("gunicorn")
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_dashboard_command_refuses_half_an_auth_setting(tmp_path, seeded_sqlite, monkeypatch, cli):
    monkeypatch.setenv("GENAI_MONITOR_DASHBOARD_USER", "ops")
    monkeypatch.delenv("GENAI_MONITOR_DASHBOARD_PASSWORD", raising=False)
    result = cli("dashboard", "--port", str(free_port()))
    assert result.exit_code == 2 and "GENAI_MONITOR_DASHBOARD_PASSWORD" in result.output
