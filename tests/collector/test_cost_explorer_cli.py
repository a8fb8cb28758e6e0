"""`collect costs`, `export costs` and `budgets` through the command line, against moto."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.export import COST_COLUMNS
from tests.collector.test_cost_explorer_collect import (
    ACCOUNT,
    BEDROCK,
    SONNET,
    daily,
    discovery,
    queue,
)

CONFIG = """
teams: [{name: search, monthly_budget_usd: 5000}, {name: support}]
"""


@pytest.fixture
def cli(tmp_path, monkeypatch, database_url):
    def run(*args):
        config_path = tmp_path / "genai-monitor.yaml"
        config_path.write_text(CONFIG)
        monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config_path))
        monkeypatch.setenv("DATABASE_URL", database_url)
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def seed_october(aws):
    oct20, oct21, oct22 = date(2026, 10, 20), date(2026, 10, 21), date(2026, 10, 22)
    queue(
        aws,
        discovery([(oct20, date(2026, 10, 23), [(BEDROCK, ACCOUNT), (SONNET, ACCOUNT)])]),
        daily(
            {
                oct20: [("USE1-Claude3Haiku-input-tokens", "team$search", "1.25")],
                oct21: [("USE1-Claude3Haiku-output-tokens", "team$", "0.1234567")],
            }
        ),
        daily({oct22: [("USE1-MP:USE1_InputTokenCount-Units", "team$support", "12")]}),
    )


def test_collect_costs_then_export_csv_and_json_in_the_contract_columns(aws, cli, engine):
    seed_october(aws)
    collected = cli("collect", "costs", "--start", "2026-10-20", "--end", "2026-10-23")
    assert collected.exit_code == 0, collected.output
    assert (
        f"costs {ACCOUNT}/us-east-1: succeeded, 1 window(s), 3 row(s), 3 API call(s)"
        in collected.output
    )

    exported = cli("export", "costs")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert (
        tuple(rows[0])
        == COST_COLUMNS
        == ("day", "account_id", "service", "usage_group", "team", "amount_usd", "estimated")
    )
    assert rows[1:] == [
        ["2026-10-20", ACCOUNT, BEDROCK, "input_tokens", "search", "1.250000", "false"],
        ["2026-10-21", ACCOUNT, BEDROCK, "output_tokens", "unattributed", "0.123457", "false"],
        ["2026-10-22", ACCOUNT, SONNET, "input_tokens", "support", "12.000000", "false"],
    ]

    filtered = cli(
        "export", "costs", "--start", "2026-10-21", "--end", "2026-10-22", "--format", "json"
    )
    assert json.loads(filtered.stdout) == [
        {
            "day": "2026-10-21",
            "account_id": ACCOUNT,
            "service": BEDROCK,
            "usage_group": "output_tokens",
            "team": "unattributed",
            "amount_usd": "0.123457",
            "estimated": False,
        }
    ]


def test_export_costs_to_a_file_and_bad_days_are_usage_errors(aws, cli, tmp_path, engine):
    seed_october(aws)
    assert cli("collect", "costs", "--start", "2026-10-20", "--end", "2026-10-23").exit_code == 0
    target = tmp_path / "costs.csv"
    written = cli("export", "costs", "--team", "support", "-o", str(target))
    assert written.exit_code == 0 and "wrote 1 row(s)" in written.output
    assert target.read_text().splitlines()[1].startswith("2026-10-22,")
    assert cli("export", "costs", "--start", "yesterday").exit_code == 2
    assert cli("export", "costs", "--start", "2026-10-22", "--end", "2026-10-21").exit_code == 2


def test_budgets_prints_every_budget_with_its_use_and_projection(aws, cli, engine):
    result = cli("budgets", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [
        (r["team"], r["service"], r["budget_usd"], r["spent_usd"], r["crosses_on"]) for r in rows
    ] == [("search", "all", "5000.000000", "0.00", None)]
    table = cli("budgets")
    assert table.exit_code == 0 and table.output.splitlines()[1].split()[:4] == [
        "search",
        "all",
        "5000.000000",
        "0.00",
    ]
