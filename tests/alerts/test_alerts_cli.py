"""`genai-monitor alerts ...` and `export alerts` end to end, against a seeded database."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.db import upsert
from core.models import CollectorRun, Notification
from core.timeutil import utcnow
from monitor.cli import main
from monitor.export import ALERT_COLUMNS
from tests.alerts.servers import HttpRecorder

CONFIG = """
notifiers:
  hook: {{type: webhook, url: "{url}/hook", headers: {{Authorization: "Bearer TOPSECRET"}}}}
alerts:
  default_route: [hook]
  rules: [{{kind: stale_data, for: 2h}}]
"""


@pytest.fixture
def http():
    server = HttpRecorder().start()
    yield server
    server.stop()


@pytest.fixture
def cli(tmp_path, monkeypatch, database_url, engine, http):
    config_path = tmp_path / "genai-monitor.yaml"
    config_path.write_text(CONFIG.format(url=http.url))
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)


def seed_runs(sessions):
    now = utcnow()
    rows = []
    for region, hours_ago in (("us-east-1", 1), ("eu-west-1", 30)):
        finished = now - timedelta(hours=hours_ago)
        rows.append(
            {
                "source": "bedrock",
                "account_id": "111111111111",
                "region": region,
                "window_start": finished - timedelta(hours=3),
                "window_end": finished,
                "status": "succeeded",
                "started_at": finished,
                "finished_at": finished,
                "api_calls": 2,
                "rows": 10,
                "message": None,
            }
        )
    with sessions.begin() as session:
        upsert(session, CollectorRun, rows, key=["source", "account_id", "region", "window_start"])


def test_evaluate_list_silence_and_export(cli, sessions, http):
    seed_runs(sessions)
    dry = cli("alerts", "evaluate", "--dry-run")
    assert (
        dry.exit_code == 0
        and "would fired: stale_data bedrock/111111111111/eu-west-1" in dry.output
    )
    assert cli("alerts", "list").output.strip() == "no alerts"

    done = cli("alerts", "evaluate")
    assert done.exit_code == 0, done.output
    assert "1 fired" in done.output and "1 delivered" in done.output
    (request,) = http.requests
    assert request.headers["Authorization"] == "Bearer TOPSECRET"
    assert request.body["alerts"][0]["subject"] == "bedrock/111111111111/eu-west-1"

    listed = cli("alerts", "list")
    assert "firing" in listed.output and "eu-west-1 last succeeded 30h ago" in listed.output

    added = cli(
        "alerts",
        "silence",
        "add",
        "--rule",
        "stale_data",
        "--subject",
        "bedrock/*",
        "--for",
        "4h",
        "--comment",
        "known outage",
    )
    # the id is the database's (the session's Postgres keeps its sequences between tests)
    found = re.fullmatch(r"silence (\d+) added until \S+Z\n", added.output)
    assert added.exit_code == 0 and found, added.output
    number = found.group(1)
    assert "known outage" in cli("alerts", "silence", "list").output
    assert "silenced: stale_data" in cli("alerts", "evaluate").output
    removed = cli("alerts", "silence", "remove", number).output.strip()
    assert removed == f"silence {number} ended"
    assert cli("alerts", "silence", "list").output.strip() == "no silences"
    assert cli("alerts", "silence", "add", "--rule", "nope", "--for", "1h").exit_code == 2

    exported = cli("export", "alerts", "--format", "json")
    (record,) = json.loads(exported.stdout)
    assert list(record) == list(ALERT_COLUMNS)
    assert record["rule"] == "stale_data" and record["opened_at"].endswith("Z")
    with sessions() as session:
        assert [n.kind for n in session.scalars(select(Notification))] == ["firing"]


def test_config_check_masks_webhook_headers(cli):
    result = cli("config", "check")
    assert result.exit_code == 0 and "TOPSECRET" not in result.output


def test_evaluate_exits_1_with_the_count_when_a_delivery_fails(cli, sessions, http):
    seed_runs(sessions)
    http.status = 500
    failed = cli("alerts", "evaluate")
    assert failed.exit_code == 1
    assert "1 delivered" not in failed.output and "0 delivered, 1 failed" in failed.output
    assert "1 of 1 notification(s) failed: webhook notifier hook answered HTTP 500" in failed.output
    # the retry is not due yet: nothing to deliver is a success
    http.status = 200
    quiet = cli("alerts", "evaluate")
    assert quiet.exit_code == 0 and "0 delivered, 0 failed" in quiet.output


def test_list_and_export_show_inhibited_alerts_only_on_request(cli, sessions):
    from core.models import Alert

    now = utcnow()
    with sessions.begin() as session:
        for percent, state, by in ((100, "firing", None), (80, "inhibited", "search/m/100%")):
            session.add(
                Alert(
                    rule="budget_threshold",
                    subject=f"search/m/{percent}%",
                    opened_at=now,
                    team="search",
                    severity="warning",
                    state=state,
                    active_since=now,
                    last_seen_at=now,
                    message=f"past the {percent}% threshold",
                    details={},
                    inhibited_by=by,
                )
            )

    def subjects(*args):
        return [
            r["subject"]
            for r in json.loads(cli("export", "alerts", "--format", "json", *args).stdout)
        ]

    assert subjects() == ["search/m/100%"]
    assert sorted(subjects("--inhibited")) == ["search/m/100%", "search/m/80%"]
    assert "80%" not in cli("alerts", "list").output
    assert "80% threshold" in cli("alerts", "list", "--state", "inhibited").output
    assert "80% threshold" in cli("alerts", "list", "--all").output
