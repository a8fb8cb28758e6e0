"""`genai-monitor export principals` (#14): the DESIGN §3 columns, values as stored, filters,
an empty result and bad usage; SQLite and Postgres."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from core.timeutil import iso_utc
from monitor.cli import main
from monitor.export import PRINCIPAL_COLUMNS
from tests.principal_world import H11, PRINCIPAL_ROWS, SUPPORT_BOT, seed_principals

CONTRACT = (
    "hour, account_id, region, principal, model_id, team, metadata, invocations, input_tokens, "
    "output_tokens, cache_read_tokens, cache_write_tokens, estimated_cost_usd, source"
)


@pytest.fixture
def cli(tmp_path, monkeypatch, database_url):
    def run(*args):
        config = tmp_path / "genai-monitor.yaml"
        config.write_text("teams: [{name: search}, {name: support}]\n")
        monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
        monkeypatch.setenv("DATABASE_URL", database_url)
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def expected(row: dict) -> dict:
    """The record of an inserted row, spelled out from the row itself."""
    cost = row["estimated_cost_usd"]
    return {
        "hour": iso_utc(row["hour"]),
        "account_id": row["account_id"],
        "region": row["region"],
        "principal": row["principal"],
        "model_id": row["model_id"],
        "team": row["team"],
        "metadata": row["request_metadata"],
        "invocations": row["invocations"],
        "input_tokens": row["input_tokens"],
        "output_tokens": row["output_tokens"],
        "cache_read_tokens": row["cache_read_tokens"],
        "cache_write_tokens": row["cache_write_tokens"],
        "estimated_cost_usd": None if cost is None else format(cost, "f"),
        "source": row["source"],
    }


def ordered(rows):
    return sorted(
        rows,
        key=lambda r: (r["hour"], r["account_id"], r["region"], r["principal"], r["model_id"]),
    )


def test_columns_are_the_contract():
    assert ", ".join(PRINCIPAL_COLUMNS) == CONTRACT


def test_json_gives_back_every_row_as_stored(cli, sessions):
    with sessions.begin() as session:
        seed_principals(session)
    result = cli("export", "principals", "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [list(r) for r in records] == [list(PRINCIPAL_COLUMNS)] * len(PRINCIPAL_ROWS)
    assert records == [expected(row) for row in ordered(PRINCIPAL_ROWS)]
    assert records[0]["hour"].endswith("Z") and records[0]["estimated_cost_usd"] == "1.500000"


def test_csv_to_a_file_with_a_window_and_a_team(cli, sessions, tmp_path):
    with sessions.begin() as session:
        seed_principals(session)
    out = tmp_path / "principals.csv"
    result = cli(
        "export", "principals", "--team", "search", "--start", iso_utc(H11), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.splitlines()[0] == ",".join(PRINCIPAL_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    chosen = [r for r in PRINCIPAL_ROWS if r["team"] == "search" and r["hour"] >= H11]
    as_text = [
        {k: "" if v is None else str(v) for k, v in expected(row).items()}
        for row in ordered(chosen)
    ]
    assert rows == as_text
    assert {r["estimated_cost_usd"] for r in rows} == {"0.700000", ""}  # unpriced: empty
    support = json.loads(
        cli("export", "principals", "--team", "support", "--format", "json").stdout
    )
    assert [(r["principal"], r["source"]) for r in support] == [(SUPPORT_BOT, "cloudwatch_logs")]


def test_empty_result_and_bad_usage(cli):
    assert json.loads(cli("export", "principals", "--format", "json").stdout) == []
    assert cli("export", "principals").stdout.strip() == ",".join(PRINCIPAL_COLUMNS)
    backwards = cli("export", "principals", "--start", "2026-11-02", "--end", "2026-11-01")
    assert backwards.exit_code == 2
    assert cli("export", "principals", "--format", "xml").exit_code == 2
