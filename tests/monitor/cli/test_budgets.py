"""`budgets` with and without `--aws-forecast`, against moto (which has no GetCostForecast)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from click.testing import CliRunner

from core.db import make_engine, session_factory
from core.timeutil import utcnow
from monitor.cli import main
from monitor.migrate import upgrade
from tests.core.test_budget_report import ACCOUNT, BEDROCK, line

CONFIG = "teams: [{name: search, monthly_budget_usd: 5000}, {name: support}]\n"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'budgets.db'}"
    config_path = tmp_path / "genai-monitor.yaml"
    config_path.write_text(CONFIG)
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config_path))
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    with session_factory(engine).begin() as session:
        for team, amount in (("search", "40"), ("support", "7")):
            session.add(line(team, ACCOUNT, BEDROCK, (now - timedelta(days=1)).date(), amount))
    engine.dispose()

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def test_without_an_aws_forecast_the_own_projection_is_kept_and_the_table_has_every_line(
    aws, cli, caplog
):
    own = cli("budgets", "--format", "json")
    assert own.exit_code == 0, own.output
    rows = json.loads(own.stdout)
    assert [(r["team"], r["service"], r["budget_usd"]) for r in rows] == [
        ("search", "all", "5000.000000"),
        ("support", "all", None),
    ]
    columns = "team service budget_usd spent_usd used projected_usd projected_use crosses_on method"
    assert list(rows[0]) == columns.split()
    with caplog.at_level(logging.WARNING):
        asked = cli("budgets", "--aws-forecast", "--format", "json")
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout) == rows
    assert "AWS cost forecast unavailable for team search" in caplog.text

    table = cli("budgets").output.splitlines()
    assert (
        table[0].split()
        == "team service budget spent used projected proj. crosses on method".split()
    )
    assert [line.split()[:3] for line in table[1:]] == [
        ["search", "all", "5000.000000"],
        ["support", "all", "-"],
    ]
