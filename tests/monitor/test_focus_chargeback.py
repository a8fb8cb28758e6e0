"""`export focus` and `report chargeback` on SQLite and Postgres: the export validates against the
FOCUS 1.2 column list in CSV and Parquet, and the statement adds up to the export to the cent."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from core.apportion import cents
from core.db import upsert
from core.focus.validate import validate_csv, validate_parquet
from core.models import ActionAudit, CostDaily, CostLine, Snapshot
from monitor.cli import main
from tests.dashboard.test_commands import free_port

NOW = datetime(2026, 4, 3, 6, tzinfo=UTC)
ACCOUNT = "111122223333"
ENDPOINT = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/research-ranker"
SAVINGS_PLAN = f"arn:aws:savingsplans::{ACCOUNT}:savingsplan/3f1c2a"
CONFIG = """
accounts: [{id: "111122223333", name: prod}]
teams: [{name: search}, {name: support}, {name: research}]
chargeback:
  shared_usage_types: ["*SearchOCU*"]
"""
FIXED = CONFIG + "  split: fixed\n  shares: {search: 0.5, support: 0.3, research: 0.2}\n"


def cur(day: date, team: str, unblended: str, **changes) -> dict:
    """A CUR line of billing period 2026-03 (unless told), Bedrock on-demand input tokens by default."""
    row = dict(
        day=day,
        source="cur",
        account_id=ACCOUNT,
        region="us-east-1",
        service="Amazon Bedrock",
        usage_type="USE1-Claude3.5Sonnet-input-tokens",
        resource_id="",
        principal="",
        team=team,
        line_type="Usage",
        billing_period="2026-03",
        product_code="AmazonBedrock",
        model="anthropic.claude-3-5-sonnet-20240620-v1:0",
        unblended_usd=Decimal(unblended),
        net_usd=None,
        amortized_usd=None,
        list_usd=None,
        usage_quantity=Decimal("1.5"),
        pricing_unit="1K tokens",
        collected_at=NOW,
    )
    return row | changes


def d(n: int) -> date:
    return date(2026, 3, n)


MARCH = [
    *(cur(d(n), "search", "0.3333333333", principal="arn:aws:iam::111122223333:role/search-app") for n in (1, 2, 3)),
    cur(d(1), "search", "1.6666666667", usage_type="USE1-Claude3.5Sonnet-output-tokens"),
    cur(d(4), "search", "1.0", net_usd=Decimal("0.9"), usage_type="USE1-Claude3.5Sonnet-cache-read-tokens"),
    *(
        cur(d(n), "support", "0.1111111111", service="Claude 3.5 Sonnet (Amazon Bedrock Edition)",
            usage_type="USE1-MP:USE1_InputTokenCount-Units", product_code="prod-abc", pricing_unit="Units")
        for n in (1, 2, 3)
    ),
    cur(d(5), "research", "2.0000000001", service="Amazon SageMaker", usage_type="USE1-Host:ml.g5.xlarge",
        resource_id=ENDPOINT, line_type="SavingsPlanCoveredUsage", amortized_usd=Decimal("1.2345678901"),
        list_usd=Decimal("2.5"), model=None, pricing_unit="Hrs", usage_quantity=Decimal("24")),
    cur(d(5), "research", "-2.0000000001", service="Amazon SageMaker", usage_type="USE1-Host:ml.g5.xlarge",
        resource_id=ENDPOINT, line_type="SavingsPlanNegation", amortized_usd=Decimal("0"), model=None,
        pricing_unit="Hrs", usage_quantity=Decimal("24")),
    cur(d(1), "unattributed", "5.5555555555", service="Amazon SageMaker", usage_type="ComputeSP:1yrNoUpfront",
        resource_id=SAVINGS_PLAN, line_type="SavingsPlanRecurringFee", amortized_usd=Decimal("0.7654321099"),
        model=None, usage_quantity=None, pricing_unit=None),
    cur(d(31), "unattributed", "0.7777777777", region="", usage_type="", line_type="Tax", model=None,
        usage_quantity=None, pricing_unit=None),
    cur(d(31), "search", "-0.3333333333", line_type="Credit", usage_quantity=None),
    cur(date(2026, 2, 27), "support", "-0.1", line_type="Refund", usage_quantity=None),
    cur(d(6), "unattributed", "1.0000000001", principal="arn:aws:sts::111122223333:assumed-role/batch/x"),
    cur(d(7), "search", "3.3333333333", service="Amazon OpenSearch Service", usage_type="USE1-SearchOCU",
        model=None, pricing_unit="OCU-hours", usage_quantity=Decimal("10")),
]  # fmt: skip
# what must not be counted: another billing period, and Cost Explorer's view of March
OTHERS = [
    cur(date(2026, 2, 10), "search", "99.99", billing_period="2026-02"),
    cur(d(1), "search", "77.77", source="cost_explorer", line_type="Usage"),
]


def billed(row: dict) -> Decimal:
    return row["unblended_usd"] if row["net_usd"] is None else row["net_usd"]


def effective(row: dict) -> Decimal:
    if row["line_type"] == "SavingsPlanNegation":
        return Decimal(0)
    return billed(row) if row["amortized_usd"] is None else row["amortized_usd"]


@pytest.fixture
def seeded(sessions):
    with sessions.begin() as session:
        upsert(session, CostLine, [*MARCH, *OTHERS])
        session.add(
            CostDaily(
                day=d(2), account_id=ACCOUNT, service="Amazon Bedrock", usage_group="all",
                team="search", amount_usd=Decimal("55.5"), amortized_usd=None, estimated=False,
                collected_at=NOW,
            )
        )  # fmt: skip
    return sessions


@pytest.fixture
def cli(tmp_path, monkeypatch, database_url):
    def run(*args, config=CONFIG):
        path = tmp_path / "genai-monitor.yaml"
        path.write_text(config)
        monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(path))
        monkeypatch.setenv("DATABASE_URL", database_url)
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def column_sum(rows: list[dict], name: str) -> Decimal:
    return sum((Decimal(row[name]) for row in rows), Decimal(0))


def test_the_csv_export_validates_and_holds_the_months_cur_lines(cli, seeded, tmp_path):
    out = tmp_path / "focus.csv"
    result = cli("export", "focus", "--month", "2026-03", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "FOCUS 1.2 export of 2026-03: 16 line(s) from CUR 2.0 line items" in result.stderr
    assert validate_csv(out) == []
    rows = read_csv(out.read_text())
    assert len(rows) == len(MARCH)
    assert column_sum(rows, "BilledCost") == sum(map(billed, MARCH)) == Decimal("14.1333333332")
    assert column_sum(rows, "EffectiveCost") == sum(map(effective, MARCH))
    assert {row["x_Source"] for row in rows} == {"cur"}
    by_type = {row["x_LineItemType"]: row for row in rows}
    assert by_type["SavingsPlanNegation"]["EffectiveCost"] == "0"
    assert by_type["SavingsPlanRecurringFee"]["CommitmentDiscountId"] == SAVINGS_PLAN
    assert by_type["SavingsPlanRecurringFee"]["ChargeCategory"] == "Purchase"
    # FOCUS 1.2: PricingCategory on every Usage and Purchase row, null on tax; the account types
    # and pricing currency are never null next to a BillingAccountId
    pricing = {kind: by_type[kind]["PricingCategory"] for kind in by_type}
    assert pricing["SavingsPlanRecurringFee"] == "Standard" and pricing["Tax"] == ""
    assert pricing["SavingsPlanCoveredUsage"] == pricing["SavingsPlanNegation"] == "Committed"
    assert {(r["BillingAccountType"], r["SubAccountType"], r["PricingCurrency"]) for r in rows} == {
        ("Payer Account", "Membership Account", "USD")
    }
    assert column_sum(rows, "PricingCurrencyEffectiveCost") == column_sum(rows, "EffectiveCost")
    assert (by_type["Refund"]["ChargeCategory"], by_type["Refund"]["ChargeClass"]) == (
        "Adjustment",
        "Correction",
    )
    assert (
        by_type["Tax"]["ChargeCategory"],
        by_type["Tax"]["RegionId"],
        by_type["Tax"]["x_Shared"],
    ) == ("Tax", "", "true")
    assert by_type["SavingsPlanCoveredUsage"]["ResourceName"] == "research-ranker"
    ocu = next(row for row in rows if row["x_UsageType"] == "USE1-SearchOCU")
    assert (ocu["ServiceCategory"], ocu["x_Shared"], ocu["x_Team"]) == (
        "Analytics",
        "true",
        "search",
    )
    assert {row["SubAccountName"] for row in rows} == {"prod"}


def test_the_parquet_export_validates_with_typed_columns(cli, seeded, tmp_path):
    out = tmp_path / "focus.parquet"
    result = cli("export", "focus", "--month", "2026-03", "--format", "parquet", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert validate_parquet(out) == []
    table = pq.read_table(out)
    assert table.schema.field("BilledCost").type == pa.decimal128(38, 10)
    assert table.schema.field("ChargePeriodStart").type == pa.timestamp("ms", tz="UTC")
    assert sum(table.column("BilledCost").to_pylist()) == sum(map(billed, MARCH))
    assert sorted(set(table.column("ChargeCategory").to_pylist())) == [
        "Adjustment", "Credit", "Purchase", "Tax", "Usage"
    ]  # fmt: skip
    # the same lines as the CSV, value for value
    text = cli("export", "focus", "--month", "2026-03").stdout
    assert len(read_csv(text)) == table.num_rows


def test_a_tampered_export_fails_validation(cli, seeded, tmp_path):
    out = tmp_path / "focus.csv"
    cli("export", "focus", "--month", "2026-03", "-o", str(out))
    text = out.read_text()
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(text.replace("BilledCost,", "BilledCosts,", 1))
    assert validate_csv(renamed)[:2] == [
        "mandatory column 'BilledCost' is missing",
        "column 'BilledCosts' is not a FOCUS 1.2 column (custom ones start with x_)",
    ]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(text.replace(",Adjustment,Correction,", ",Refund,Fix,"))
    assert validate_csv(wrong) == [
        "row 1: ChargeCategory 'Refund' is not one of Usage, Purchase, Tax, Credit, Adjustment",
        "row 1: ChargeClass 'Fix' is not one of Correction",
    ]
    floats = tmp_path / "floats.parquet"
    cli("export", "focus", "--month", "2026-03", "--format", "parquet", "-o", str(floats))
    original = pq.read_table(floats)
    index = original.schema.get_field_index("BilledCost")
    as_float = original.set_column(
        index, "BilledCost", original.column("BilledCost").cast(pa.float64())
    )
    pq.write_table(as_float, floats)
    assert validate_parquet(floats) == ["column 'BilledCost' is double, not a decimal type"]


def statement_rows(cli, *args, config=CONFIG):
    result = cli(
        "report", "chargeback", "--month", "2026-03", "--format", "csv", *args, config=config
    )
    assert result.exit_code == 0, result.output
    return read_csv(result.stdout)


def test_the_statement_adds_up_to_the_export_to_the_cent(cli, seeded):
    export = read_csv(cli("export", "focus", "--month", "2026-03").stdout)
    rows = statement_rows(cli)
    (total,) = [row for row in rows if row["kind"] == "total"]
    for measure, column in (("billed_usd", "BilledCost"), ("amortized_usd", "EffectiveCost")):
        exact = column_sum(export, column)
        assert Decimal(total[measure]) == Decimal(cents(exact)) / 100
        teams = [row for row in rows if row["kind"] == "team_total"]
        assert sum(Decimal(row[measure]) for row in teams) == Decimal(total[measure])
        for team in ("search", "support", "research"):
            own = [r for r in rows if r["team"] == team and r["kind"] in ("attributed", "shared")]
            (team_total,) = [r for r in teams if r["team"] == team]
            assert sum(Decimal(r[measure]) for r in own) == Decimal(team_total[measure])
    assert Decimal(total["billed_usd"]) == Decimal("14.13")
    # attributed billed: search 0.3333333333*3 + 1.6666666667 + 0.9 - 0.3333333333 = 3.2333333333
    # (its OCU line is shared); support 0.3333333333 and a refund of -0.1; research 0 (covered +
    # negation)
    attributed = {
        (r["team"], r["service"], r["model"]): r["billed_usd"]
        for r in rows
        if r["kind"] == "attributed"
    }
    assert attributed == {
        ("search", "Amazon Bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"): "3.23",
        (
            "support",
            "Claude 3.5 Sonnet (Amazon Bedrock Edition)",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
        ): "0.33",
        (
            "support",
            "Amazon Bedrock",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
        ): "-0.10",  # the refund
        ("research", "Amazon SageMaker", ""): "0.00",
    }
    # shared billed: 5.5555555555 + 0.7777777777 + 1.0000000001 + 3.3333333333 = 10.6666666666
    # -> 10.67, split by amortized attributed spend 3.2333333333 : 0.2333333333 : 1.2345678901
    shared = {r["team"]: (r["billed_usd"], r["share"]) for r in rows if r["kind"] == "shared"}
    assert shared == {
        "research": ("2.80", "0.262605"),
        "search": ("7.34", "0.687763"),
        "support": ("0.53", "0.049632"),
    }


def test_the_html_statement_says_it_reconciles(cli, seeded, tmp_path):
    out = tmp_path / "statement.html"
    result = cli("report", "chargeback", "--month", "2026-03", "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<h1>GenAI chargeback, 2026-03</h1>" in html and "reconciled to the cent" in html
    assert 'id="total-billed">$14.13<' in html and "14.1333333332" in html
    assert 'id="team-search-billed">$10.57<' in html
    assert "usage type *SearchOCU*" in html and "line type Tax" in html
    assert "<script" not in html


def test_fixed_shares_split_the_shared_cents_exactly(cli, sessions):
    with sessions.begin() as session:
        upsert(
            session, CostLine, [cur(d(1), "unattributed", "1.0100000000"), cur(d(1), "search", "2")]
        )
    rows = statement_rows(cli, config=FIXED)
    shared = {r["team"]: (r["billed_usd"], r["share"]) for r in rows if r["kind"] == "shared"}
    # 50.5, 30.3 and 20.2 cents: the odd cent goes to the largest remainder
    assert shared == {
        "search": ("0.51", "0.5"),
        "support": ("0.30", "0.3"),
        "research": ("0.20", "0.2"),
    }
    totals = {r["team"]: r["billed_usd"] for r in rows if r["kind"] == "team_total"}
    assert totals == {"research": "0.20", "search": "2.51", "support": "0.30"}


def test_a_month_without_lines(cli, sessions, tmp_path):
    out = tmp_path / "empty.csv"
    result = cli("export", "focus", "--month", "2026-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "2026-01: 0 line(s) from Cost Explorer" in result.stderr
    assert validate_csv(out) == [] and read_csv(out.read_text()) == []
    parquet = tmp_path / "empty.parquet"
    assert (
        cli(
            "export", "focus", "--month", "2026-01", "--format", "parquet", "-o", str(parquet)
        ).exit_code
        == 0
    )
    assert validate_parquet(parquet) == [] and pq.read_table(parquet).num_rows == 0
    rows = read_csv(cli("report", "chargeback", "--month", "2026-01", "--format", "csv").stdout)
    assert {(r["team"], r["kind"], r["billed_usd"]) for r in rows if r["kind"] != "shared"} == {
        ("research", "team_total", "0.00"),
        ("search", "team_total", "0.00"),
        ("support", "team_total", "0.00"),
        ("", "total", "0.00"),
    }


def test_without_cur_lines_cost_explorers_are_exported_and_charged(cli, sessions, tmp_path):
    with sessions.begin() as session:
        for n, team in enumerate(("search", "support", "unattributed", "search"), start=1):
            session.add(
                CostDaily(
                    day=date(2026, 4, n), account_id=ACCOUNT, service="Amazon Bedrock",
                    usage_group="input_tokens", team=team, amount_usd=Decimal("0.333333"),
                    amortized_usd=None, estimated=False, collected_at=NOW,
                )
            )  # fmt: skip
    out = tmp_path / "ce.csv"
    result = cli("export", "focus", "--month", "2026-04", "-o", str(out))
    assert "4 line(s) from Cost Explorer (no CUR 2.0 lines stored" in result.stderr
    assert validate_csv(out) == []
    rows = read_csv(out.read_text())
    assert {
        (r["x_Source"], r["ResourceId"], r["ChargeCategory"], r["x_LineItemType"]) for r in rows
    } == {("cost_explorer", "", "Usage", "")}
    statement = read_csv(
        cli("report", "chargeback", "--month", "2026-04", "--format", "csv").stdout
    )
    totals = {r["team"]: r["billed_usd"] for r in statement if r["kind"] in ("team_total", "total")}
    # 0.333333 shared 2:1 -> 0.222222 and 0.111111 -> 22 and 11 cents
    assert totals == {"search": "0.89", "support": "0.44", "research": "0.00", "": "1.33"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "focus", "--month", "2026-13"), "expected a month like 2026-03, got '2026-13'"),
        (("export", "focus", "--month", "2099-01"), "month 2099-01 has not begun yet"),
        (
            ("report", "chargeback", "--month", "March"),
            "expected a month like 2026-03, got 'March'",
        ),
        (("report", "chargeback", "--month", "1999-12"), "month 1999-12 is before 2000"),
        (
            ("export", "focus", "--month", "2026-03", "--format", "parquet"),
            "--format parquet needs -o FILE",
        ),
        (
            ("report", "chargeback", "--month", "2026-03", "--email"),
            "--email needs an `email` notifier",
        ),
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2 and message in result.output, result.output


@pytest.mark.parametrize(
    ("chargeback", "message"),
    [
        (
            "{split: fixed, shares: {search: 0.5, support: 0.4}}",
            "shares must sum to 1, they sum to 0.9",
        ),
        (
            "{split: fixed, shares: {search: 0.5, sales: 0.5}}",
            "chargeback.shares names team 'sales', which is not under teams",
        ),
        ("{shares: {search: 1}}", "shares are only read with split: fixed"),
        ("{split: fixed}", "split: fixed needs shares"),
        ("{split: fixed, shares: {search: true}}", "expected a fraction like 0.6, got True"),
        ("{split: fixed, shares: {search: 1.5}}", "expected a fraction from 0 to 1"),
        ("{split: evenly}", "chargeback.split"),
    ],
)
def test_a_bad_chargeback_config_exits_2(cli, chargeback, message):
    config = "teams: [{name: search}, {name: support}]\nchargeback: " + chargeback + "\n"
    result = cli("report", "chargeback", "--month", "2026-03", config=config)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_statement_is_emailed_with_its_csv(cli, seeded):
    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append(
                (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default))
            )
            return "250 OK"

    port = free_port()
    config = CONFIG + (
        "notifiers:\n  finance: {type: email, to: [finance@example.com], smtp_host: 127.0.0.1, "
        f"smtp_port: {port}, starttls: false, sender: monitor@example.com}}\n"
    )
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = cli("report", "chargeback", "--month", "2026-03", "--email", config=config)
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # e-mailed only
    assert (
        "e-mailed the 2026-03 chargeback statement to finance@example.com (finance)"
        in result.stderr
    )
    ((recipients, mail),) = received
    assert recipients == ["finance@example.com"] and mail["Subject"] == "GenAI chargeback, 2026-03"
    assert "<h1>GenAI chargeback, 2026-03</h1>" in mail.get_body(("html",)).get_content()
    assert "Total billed $14.13" in mail.get_body(("plain",)).get_content()
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "chargeback-2026-03.csv"
    expected = cli("report", "chargeback", "--month", "2026-03", "--format", "csv").stdout
    assert attachment.get_content().replace("\r\n", "\n") == expected


def test_nothing_is_written_when_the_export_does_not_validate(cli, seeded, tmp_path, monkeypatch):
    from core.focus import mapping

    monkeypatch.setitem(mapping.CHARGE_CATEGORIES, "Tax", "Levy")
    out = tmp_path / "focus.csv"
    result = cli("export", "focus", "--month", "2026-03", "-o", str(out))
    assert result.exit_code == 1
    assert (
        "the export does not conform to FOCUS: row 15: ChargeCategory 'Levy' is not one of"
        in result.output
    )
    assert not out.exists() and list(Path(tmp_path).glob(".focus.csv*")) == []


def test_the_statement_shows_what_each_team_saved_and_the_csv_keeps_its_rows(cli, seeded):
    where = {
        "kind": "sagemaker_endpoint",
        "resource_arn": ENDPOINT,
        "name": "research-ranker",
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "team": "research",
    }
    stopped = datetime(2026, 3, 30, 20, tzinfo=UTC)
    with seeded.begin() as session:
        session.add(
            Snapshot(
                id="snap-1", taken_at=stopped, document={}, hourly_usd=Decimal("2"),
                restored_at=datetime(2026, 4, 1, 8, tzinfo=UTC), **where,
            )
        )  # fmt: skip
        session.flush()
        session.add(
            ActionAudit(
                at=stopped, actor="policy:schedule", action="delete", snapshot_id="snap-1",
                outcome="succeeded", message=None, request_ids=[], **where,
            )
        )  # fmt: skip
    html = cli("report", "chargeback", "--month", "2026-03", "-o", "-").stdout
    # 28 hours stopped in March (the 8 in April are April's) at $2 an hour
    assert 'id="team-research-saved">$56.00<' in html
    assert "Saved by stopping idle resources" in html
    rows = statement_rows(cli)
    assert {row["kind"] for row in rows} == {"attributed", "shared", "team_total", "total"}
