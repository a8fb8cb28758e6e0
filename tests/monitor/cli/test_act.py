"""`genai-monitor act` against moto, on SQLite and Postgres: the plan without --yes, delete and
restore with it, refusals as one line and exit 1, usage errors as exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.models import ActionAudit, Snapshot
from monitor.cli import main
from tests.actions.world import create_endpoint, sagemaker, store_endpoint

CONFIG = """
regions: [us-east-1]
actions:
  enabled: {enabled}
  role_arn: "arn:aws:iam::{{account}}:role/GenAIMonitorActions"
"""


@pytest.fixture
def cli(aws, sessions, database_url, tmp_path, monkeypatch):
    def run(*args: str, enabled: bool = True):
        config = tmp_path / "genai-monitor.yaml"
        config.write_text(CONFIG.format(enabled=str(enabled).lower()))
        monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
        monkeypatch.setenv("DATABASE_URL", database_url)
        return CliRunner().invoke(main, ["act", *args], catch_exceptions=False)

    return run


def running(name: str) -> bool:
    return any(e["EndpointName"] == name for e in sagemaker().list_endpoints()["Endpoints"])


def test_without_yes_the_plan_is_printed_and_nothing_changes(cli, sessions):
    arn = create_endpoint("ranker", scaling=False)
    store_endpoint(sessions, arn, "ranker")

    result = cli("delete", arn)

    assert result.exit_code == 0, result.output
    assert "  - delete endpoint ranker" in result.output and "--yes" in result.output
    assert running("ranker")
    with sessions() as session:
        assert session.scalars(select(Snapshot)).first() is None
        (row,) = session.scalars(select(ActionAudit)).all()
    assert row.outcome == "planned" and row.actor.startswith("cli:")


def test_delete_and_restore_with_yes(cli, sessions):
    arn = create_endpoint("ranker", scaling=False)
    store_endpoint(sessions, arn, "ranker")

    deleted = cli("delete", arn, "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert "succeeded: deleted endpoint ranker" in deleted.output and not running("ranker")
    again = cli("delete", arn, "--yes")
    assert again.exit_code == 0 and "skipped" in again.output

    with sessions() as session:
        snapshot_id = session.scalars(select(Snapshot.id)).one()
    restored = cli("restore", "--snapshot", snapshot_id, "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"snapshot {snapshot_id}" in restored.output and running("ranker")


def test_refusals_are_one_line_and_exit_1(cli, sessions):
    arn = create_endpoint("ranker", scaling=False)
    store_endpoint(sessions, arn, "ranker")

    disabled = cli("delete", arn, "--yes", enabled=False)
    realtime = cli("scale-to-zero", arn, "--yes")
    nothing = cli("restore", arn, "--yes")

    assert disabled.exit_code == 1 and "refused: actions are disabled" in disabled.output
    assert realtime.exit_code == 1 and "real-time endpoint" in realtime.output
    assert nothing.exit_code == 1 and "no unrestored snapshot" in nothing.output
    assert disabled.output.count("\n") == 1
    assert running("ranker")


def test_usage_and_help(cli):
    assert cli("restore").exit_code == 2
    help_text = cli("delete", "--help").output
    assert "RESOURCE" in help_text and "as `genai-monitor waste` prints it" in help_text
    assert "--yes" in help_text
    assert "scale-to-zero" in cli("--help").output
