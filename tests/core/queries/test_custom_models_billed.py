"""Custom and imported models' billed cost, on SQLite and Postgres: CUR lines whose resource id is
the model's or deployment's ARN, beside the token estimate, in the query and `export custom-models`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner

from core.db import upsert
from core.models import BedrockUsageHourly, CostLine, CustomModel
from core.pricing import PriceCatalog
from core.queries.custom_models import custom_model_usage, with_billed_models
from demo.rows import bedrock_row
from monitor.cli import main
from monitor.export_bedrock import CUSTOM_MODEL_COLUMNS

ACCOUNT = "111122223333"
REGION = "us-east-1"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
DAY = datetime(2026, 3, 10, tzinfo=UTC)
ARNS = {
    "tuned": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/{HAIKU}/abc123",
    "live": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model-deployment/live1",
    "import": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:imported-model/llama1",
    "other": f"arn:aws:bedrock:us-west-2:{ACCOUNT}:imported-model/other1",
}


def _model(name: str, kind: str, base: str | None, team: str, region: str = REGION):
    return {
        "account_id": ACCOUNT,
        "region": region,
        "arn": ARNS[name],
        "kind": kind,
        "name": name,
        "base_model": base,
        "status": "Active",
        "customization_type": "FINE_TUNING" if kind == "custom" else None,
        "created_at": DAY - timedelta(days=30),
        "deleted_at": None,
        "team": team,
        "tags": {"team": team},
        "last_seen_at": DAY,
    }


def _line(day: date, resource: str, usage_type: str, amount: str, region: str = REGION):
    return {
        "day": day,
        "source": "cur",
        "account_id": ACCOUNT,
        "region": region,
        "service": "Amazon Bedrock",
        "usage_type": usage_type,
        "resource_id": resource,
        "principal": "",
        "team": "support",
        "line_type": "Usage",
        "billing_period": "2026-03",
        "product_code": "AmazonBedrock",
        "model": None,
        "unblended_usd": Decimal(amount),
        "net_usd": None,
        "amortized_usd": None,
        "list_usd": None,
        "usage_quantity": None,
        "pricing_unit": None,
        "collected_at": DAY,
    }


@pytest.fixture
def world(sessions):
    with sessions.begin() as session:
        upsert(
            session,
            CustomModel,
            [
                _model("tuned", "custom", HAIKU, "support"),
                _model("live", "deployment", ARNS["tuned"], "support"),
                _model("import", "imported", None, "research"),
                _model("other", "imported", None, "research", "us-west-2"),
            ],
        )
        usage = {"import": (4, 1000, 100), "live": (10, 2_000_000, 400_000)}
        upsert(
            session,
            BedrockUsageHourly,
            [
                bedrock_row(
                    account_id=ACCOUNT,
                    region=REGION,
                    model_id=ARNS[name],
                    hour=DAY + timedelta(hours=5),
                    team="support",
                    invocations=calls,
                    input_tokens=tokens_in,
                    output_tokens=tokens_out,
                    estimated_cost_usd=Decimal(0),
                    collected_at=DAY,
                )
                | {"estimated_cost_usd": None, "priced": False}
                for name, (calls, tokens_in, tokens_out) in usage.items()
            ],
        )
        day = DAY.date()
        upsert(
            session,
            CostLine,
            [
                # CUR spells ARNs as AWS does; the match ignores case
                _line(day, ARNS["import"].upper(), "USE1-CustomModelUnits", "12.500000"),
                _line(day + timedelta(days=1), ARNS["import"], "USE1-CustomModelUnits", "7.250000"),
                _line(day, ARNS["tuned"], "USE1-CustomModelStorage", "1.950000"),
                _line(day - timedelta(days=3), ARNS["tuned"], "USE1-CustomModelStorage", "1.95"),
                _line(day, "", "USE1-Haiku-input-tokens", "99.000000"),  # no resource: nobody's
            ],
        )
    return sessions


def test_billed_cost_stands_beside_the_estimate(world):
    catalog = PriceCatalog.load()
    with world() as session:
        usages = custom_model_usage(session, catalog, DAY, DAY + timedelta(days=2))
        rows = with_billed_models(session, usages, DAY, DAY + timedelta(days=2))
        research = custom_model_usage(session, catalog, regions=["us-east-1"], teams=["research"])
    found = {r.name: (r.cost_usd, r.billed_usd, r.billed_source) for r in rows}
    assert found == {
        "import": (None, Decimal("19.750000"), "cur"),  # CMU-minutes: the bill is the only figure
        "live": (Decimal("1.000000"), None, None),  # 2M x $0.25 + 0.4M x $1.25, no CUR line
        "tuned": (Decimal("0.000000"), Decimal("1.950000"), "cur"),  # storage, that day only
        "other": (Decimal("0"), None, None),
    }
    assert [r.name for r in research] == ["import"]


def test_export_custom_models_carries_the_bill(world, database_url, tmp_path, monkeypatch):
    config = tmp_path / "genai-monitor.yaml"
    config.write_text("regions: [us-east-1]\n")
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(
        main,
        [
            "export",
            "custom-models",
            "--format",
            "json",
            "--start",
            "2026-03-10T00:00:00Z",
            "--end",
            "2026-03-12T00:00:00Z",
            "--team",
            "research",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [list(r) for r in records] == [list(CUSTOM_MODEL_COLUMNS)] * 2
    assert [(r["name"], r["estimated_cost_usd"], r["billed_usd"]) for r in records] == [
        ("import", None, "19.750000"),
        ("other", "0.000000", None),
    ]
