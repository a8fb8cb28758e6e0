"""The command line, run in-process and once as the installed console script."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.pricing import PriceCatalog
from demo.seed import put_bedrock_metrics
from monitor.cli import main
from monitor.export import BEDROCK_USAGE_COLUMNS

START = datetime(2026, 10, 1, tzinfo=UTC)
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
CONFIG = """
regions: [us-east-1, eu-west-1]
teams: [{name: search}]
attribution: {inference_profiles: {prof123: search}}
"""


@pytest.fixture
def cli(tmp_path, monkeypatch):
    def run(*args, config=CONFIG, database_url=None):
        config_path = tmp_path / "genai-monitor.yaml"
        config_path.write_text(config)
        monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config_path))
        monkeypatch.setenv("DATABASE_URL", database_url or f"sqlite:///{tmp_path / 'cli.db'}")
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def seed() -> Counter:
    expected: Counter = Counter()
    for region, scale in (("us-east-1", 1), ("eu-west-1", 3)):
        points = []
        for hour in range(30):
            at = START + timedelta(hours=hour, minutes=11)
            for model_id, team in (
                (HAIKU, "unattributed"),
                ("prof123", "search"),
                ("acme.unknown-v1", "unattributed"),
            ):
                points += [
                    (model_id, "InputTokenCount", at, 100 * scale + hour),
                    (model_id, "OutputTokenCount", at, 10 * scale),
                ]
                expected[(region, model_id, team, "input_tokens")] += 100 * scale + hour
                expected[(region, model_id, team, "output_tokens")] += 10 * scale
        put_bedrock_metrics(region, points)
    return expected


def test_collect_then_export_json_gives_back_what_cloudwatch_holds(aws, cli, database_url, engine):
    expected = seed()
    collected = cli(
        "collect",
        "bedrock",
        "--start",
        "2026-10-01",
        "--end",
        "2026-10-02T06:00Z",
        database_url=database_url,
    )
    assert collected.exit_code == 0, collected.output
    assert "succeeded" in collected.output
    exported = cli("export", "bedrock-usage", "--format", "json", database_url=database_url)
    assert exported.exit_code == 0, exported.output
    records = json.loads(exported.stdout)
    assert records and list(records[0]) == list(BEDROCK_USAGE_COLUMNS)
    totals: Counter = Counter()
    for record in records:
        for column in ("input_tokens", "output_tokens"):
            totals[(record["region"], record["model_id"], record["team"], column)] += record[column]
    assert totals == expected
    unknown = [r for r in records if r["model_id"] == "acme.unknown-v1"]
    assert unknown and all(
        r["priced"] is False and r["estimated_cost_usd"] is None for r in unknown
    )
    assert all(r["price_source"] is None and r["price_as_of"] is None for r in unknown)
    priced = [r for r in records if r["model_id"] == HAIKU]
    assert all(r["priced"] is True and isinstance(r["estimated_cost_usd"], str) for r in priced)
    price = PriceCatalog.load().price(HAIKU, priced[0]["region"])
    assert {(r["price_source"], r["price_as_of"]) for r in priced} == {(price.source, price.as_of)}
    assert all(r["hour"].endswith("Z") for r in records)


def test_export_csv_to_a_file_with_filters(aws, cli, tmp_path):
    seed()
    assert cli("collect", "bedrock", "--start", "2026-10-01", "--end", "2026-10-02").exit_code == 0
    out = tmp_path / "usage.csv"
    result = cli(
        "export",
        "bedrock-usage",
        "--team",
        "search",
        "--region",
        "eu-west-1",
        "--start",
        "2026-10-01T05:00Z",
        "--end",
        "2026-10-01T10:00Z",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert out.read_text().splitlines()[0] == ",".join(BEDROCK_USAGE_COLUMNS)
    assert [r["hour"] for r in rows] == [
        f"2026-10-01T0{h}:00:00Z" if h < 10 else f"2026-10-01T{h}:00:00Z" for h in range(5, 10)
    ]
    assert {(r["team"], r["region"], r["model_id"]) for r in rows} == {
        ("search", "eu-west-1", "prof123")
    }
    assert all(
        r["priced"] == "false" and r["estimated_cost_usd"] == "" for r in rows
    )  # no model mapped for prof123
    assert list(tmp_path.glob(".usage.csv.*")) == []


def test_export_of_an_empty_database(cli):
    result = cli("export", "bedrock-usage", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    result = cli("export", "bedrock-usage")
    assert result.stdout.strip() == ",".join(BEDROCK_USAGE_COLUMNS)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("teams: [{name: search, monthly_budget_usd: -1}]\n", "teams[0].monthly_budget_usd"),
        ("regions: [us-east-1, mars-north-1x]\n", "regions: expected an AWS region name"),
        ("colection: {}\n", "colection: unknown key"),
        ("teams: {name: search}\n", "teams: Input should be a valid list"),
    ],
)
def test_bad_config_exits_2_with_one_line_and_writes_nothing(cli, tmp_path, config, expected):
    result = cli("collect", "bedrock", config=config)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "genai-monitor.yaml" in lines[0] and expected in lines[0]
    assert not (tmp_path / "cli.db").exists()


def test_config_check_prints_the_resolved_config_with_secrets_masked(cli, monkeypatch):
    monkeypatch.setenv("HOOK", "https://hooks.slack.test/T000/SECRET")
    result = cli(
        "config", "check", config="notifiers: {team-slack: {type: slack, webhook_url: '${HOOK}'}}\n"
    )
    assert result.exit_code == 0, result.output
    assert "SECRET" not in result.output and "webhook_url: '***'" in result.output
    assert "config OK" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["collect", "bedrock", "--since", "2d", "--start", "2026-10-01"],
        ["collect", "bedrock", "--end", "2026-10-01"],
        ["collect", "bedrock", "--since", "soon"],
        ["collect", "bedrock", "--start", "2026-10-02", "--end", "2026-10-01"],
        ["collect", "everything"],
        ["export", "bedrock-usage", "--format", "xml"],
        # found in hardening (#17): each of these crashed or was accepted with exit 0
        ["collect", "bedrock", "--since", "1000000d"],
        ["collect", "bedrock", "--since", "0d"],
        ["collect", "bedrock", "--start", "2099-01-01", "--end", "2099-01-02"],
        ["alerts", "silence", "add", "--for", "1000000000d"],
        ["alerts", "silence", "add", "--for", "0s"],
        ["report", "weekly", "--week", "2099-W01"],
        ["export", "alerts", "--start", "2026-10-02", "--end", "2026-10-01"],
    ],
)
def test_bad_usage_exits_2(cli, args):
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Error: " in result.output


@pytest.mark.parametrize(
    "args",
    [[], ["migrate"], ["config", "check"], ["collect"], ["export", "bedrock-usage"], ["demo"]],
)
def test_every_command_has_help(cli, args):
    result = cli(*args, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_unreachable_aws_fails_the_target_with_exit_1_and_keeps_going(cli, monkeypatch):
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL", "http://127.0.0.1:9"
    )  # nothing listens on the discard port
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    config = "accounts: [{id: '111111111111'}]\nregions: [us-east-1, us-west-2]\n"
    result = cli("collect", "bedrock", "--since", "2h", config=config)
    assert result.exit_code == 1
    assert result.output.count(": failed") == 2
    assert "next run retries the rest" in result.output


def test_migrate_on_postgres_and_a_clear_message_before_it(cli):
    from tests.conftest import _postgres_database

    for url in _postgres_database():
        before = cli("export", "bedrock-usage", database_url=url)
        assert before.exit_code == 1 and "run `genai-monitor migrate`" in before.output
        migrated = cli("migrate", database_url=url)
        assert migrated.exit_code == 0 and "upgraded from (empty)" in migrated.output
        assert cli("migrate", database_url=url).output.startswith("database already at revision")
        assert cli("export", "bedrock-usage", database_url=url).exit_code == 0


def test_the_installed_console_script_runs_against_a_local_aws(aws, tmp_path):
    seed()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}",
        "GENAI_MONITOR_CONFIG": str(tmp_path / "absent.yaml"),
    }
    env.pop("GENAI_MONITOR_CONFIG")
    script = Path(sys.executable).parent / "genai-monitor"
    collected = subprocess.run(
        [str(script), "collect", "bedrock", "--start", "2026-10-01", "--end", "2026-10-01T03:00Z"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stderr
    exported = subprocess.run(
        [str(script), "export", "bedrock-usage", "--format", "csv"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr
    assert (
        len(exported.stdout.strip().splitlines()) == 1 + 3 * 3
    )  # header + 3 models x 3 hours, us-east-1 only
