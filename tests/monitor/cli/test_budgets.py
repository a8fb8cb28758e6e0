"""`budgets` with and without `--aws-forecast`, against moto (which has no GetCostForecast)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner

from core.db import make_engine, session_factory
from core.models import CostDaily
from core.timeutil import utcnow
from monitor.cli import main
from monitor.migrate import upgrade

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
            session.add(
                CostDaily(
                    day=(now - timedelta(days=1)).date(),
                    account_id="123456789012",
                    service="Amazon Bedrock",
                    usage_group="input_tokens",
                    team=team,
                    amount_usd=Decimal(amount),
                    amortized_usd=None,
                    estimated=False,
                    collected_at=now,
                )
            )
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
    assert set(rows[0]) == {
        "team",
        "service",
        "budget_usd",
        "spent_usd",
        "used",
        "projected_usd",
        "projected_use",
        "crosses_on",
        "method",
    }
    with caplog.at_level(logging.WARNING):
        asked = cli("budgets", "--aws-forecast", "--format", "json")
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout) == rows
    assert "AWS cost forecast unavailable for team search" in caplog.text

    table = cli("budgets").output.splitlines()
    assert table[0].split() == [
        "team",
        "service",
        "budget",
        "spent",
        "used",
        "projected",
        "proj.",
        "crosses",
        "on",
        "method",
    ]
    assert [line.split()[:3] for line in table[1:]] == [
        ["search", "all", "5000.000000"],
        ["support", "all", "-"],
    ]
