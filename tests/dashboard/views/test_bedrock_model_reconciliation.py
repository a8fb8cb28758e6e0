"""The Bedrock page's estimate at list price, at the bill's effective rates and the bill, per team
and model, side by side: the view model, and the page as the browser's callback receives it, on
SQLite and on Postgres."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from core.db import upsert
from core.models import BedrockUsageHourly, CostUsageDaily
from core.rollups import rebuild_rollups
from dashboard.app import AuthSettings, create_app
from dashboard.filters import parse_filters
from dashboard.views.bedrock import MODEL_RECONCILIATION_COLUMNS, model_reconciliation_frame
from demo import small as world
from demo.rows import bedrock_row
from tests.dashboard.callbacks import body_request

ACCOUNT = "123456789012"
NOVA = "amazon.nova-pro-v1:0"
DAY = date(2026, 3, 10)
AT = datetime(2026, 3, 10, 9, tzinfo=UTC)


def bill_line(usage_type: str, cost: str, quantity: str) -> dict:
    return {
        "day": DAY,
        "account_id": ACCOUNT,
        "service": "Amazon Bedrock",
        "usage_type": usage_type,
        "team": "search",
        "amount_usd": Decimal(cost),
        "usage_quantity": Decimal(quantity),
        "unit": "1K tokens",
        "collected_at": AT,
    }


def seed(sessions) -> None:
    with sessions.begin() as session:
        usage = bedrock_row(
            account_id=ACCOUNT,
            region="us-east-1",
            model_id=NOVA,
            hour=AT,
            team="search",
            invocations=5,
            input_tokens=4_000_000,
            output_tokens=500_000,
            estimated_cost_usd=Decimal("4.8"),  # 4 x 0.80 + 0.5 x 3.20 at list
            collected_at=AT,
            price_source="aws-price-list AmazonBedrock sku NOVAPRO1",
            price_as_of="2026-03-01",
        )
        upsert(session, BedrockUsageHourly, [usage])
        rebuild_rollups(session)  # a writer of hourly rows keeps their daily rollups
        upsert(
            session,
            CostUsageDaily,
            [
                bill_line("USE1-NovaPro-input-tokens", "2.4", "4000"),  # 0.60 per million
                bill_line("USE1-NovaPro-output-tokens", "1.2", "500"),  # 2.40 per million
            ],
        )


def test_the_view_puts_list_effective_and_billed_side_by_side_with_the_gap(sessions):
    seed(sessions)
    filters = parse_filters({"start": "2026-03-09", "end": "2026-03-11"}, world.TODAY)
    with sessions() as session:
        frame = model_reconciliation_frame(session, filters, None)
        scoped = model_reconciliation_frame(
            session,
            parse_filters({"start": "2026-03-09", "region": "us-east-1"}, world.TODAY),
            None,
        )
    assert list(frame.columns) == MODEL_RECONCILIATION_COLUMNS
    assert frame.to_dict("records") == [
        {
            "team": "search",
            "model": NOVA,
            "list_estimate_usd": Decimal("4.80"),
            "effective_estimate_usd": Decimal("3.60"),
            "billed_usd": Decimal("3.60"),
            "gap_pct": Decimal("0.0"),
            "price_source": "AWS Price List (2026-03-01)",
        }
    ]
    assert scoped.empty  # the bill has no region split here


def test_the_page_shows_list_effective_and_billed_per_model(sessions, database_url):
    seed(sessions)
    app = create_app(database_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    answer = app.server.test_client().post(
        "/_dash-update-component",
        json=body_request("bedrock", {"start": "2026-03-09", "end": "2026-03-11"}),
    )
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert "List price, effective rate and bill per team and model" in body
    assert "bedrock-model-reconciliation" in body
    for column in MODEL_RECONCILIATION_COLUMNS:
        assert column in body, column
    # one grid row: list, effective and billed side by side, and the gap
    assert (
        f'"model":"{NOVA}","list_estimate_usd":4.8,"effective_estimate_usd":3.6,'
        '"billed_usd":3.6,"gap_pct":0.0,"price_source":"AWS Price List (2026-03-01)"'
    ) in body
