"""Where the estimates' prices came from: stored price sources as labels, and per source the
dollars, usage and dates of the Bedrock and the endpoint estimates, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.db import upsert
from core.models import BedrockUsageHourly, EndpointHourly
from core.pricing.dated import INSTANCE_OVERRIDE_SOURCE
from core.pricing.sources import (
    LIBRARY,
    NOT_RECORDED,
    OVERRIDE,
    PRICE_LIST,
    SHIPPED,
    UNPRICED,
    source_label,
)
from core.pricing.tokens import OVERRIDE_SOURCE
from core.queries.price_sources import bedrock_price_mix, endpoint_price_mix
from demo.rows import bedrock_row, endpoint_hour_row, endpoint_row, put_endpoints

ACCOUNT = "123456789012"
AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
POINT = "aws-price-list AmazonBedrock sku ABC123"
LIB = f"{LIBRARY} 0.2.3"


def test_each_stored_source_has_a_label_a_reader_knows():
    assert source_label(POINT) == PRICE_LIST
    assert source_label("aws-price-list AmazonSageMaker sku X (batch: half price)") == PRICE_LIST
    assert source_label(LIB) == LIB
    assert source_label(f"{LIB} (batch: half price)") == LIB
    assert source_label(OVERRIDE_SOURCE) == OVERRIDE
    assert source_label(INSTANCE_OVERRIDE_SOURCE) == OVERRIDE
    assert source_label("https://aws.amazon.com/bedrock/pricing/") == SHIPPED
    assert (
        source_label("us-east-1 list price (https://aws.amazon.com/sagemaker/pricing/)") == SHIPPED
    )
    assert source_label(None) == NOT_RECORDED
    assert source_label(POINT, priced=False) == UNPRICED
    assert source_label(None, priced=False) == UNPRICED


def usage(model: str, team: str, hour: int, cost: str | None, source: str | None, as_of=None):
    row = bedrock_row(
        account_id=ACCOUNT,
        region="us-east-1",
        model_id=model,
        hour=AT + timedelta(hours=hour),
        team=team,
        invocations=1,
        input_tokens=900,
        output_tokens=100,
        estimated_cost_usd=Decimal(cost or 0),
        collected_at=AT,
        price_source=source,
        price_as_of=as_of,
    )
    if cost is None:
        row.update(estimated_cost_usd=None, priced=False)
    return row


def test_the_bedrock_estimate_per_source_with_dollars_tokens_and_dates(sessions):
    with sessions.begin() as session:
        upsert(
            session,
            BedrockUsageHourly,
            [
                usage("m.a", "search", 0, "3", POINT, "2026-10-01"),
                usage("m.a", "search", 1, "5", POINT.replace("ABC", "DEF"), "2026-11-01"),
                usage("m.a", "search", 2, "1", f"{LIB} (batch: half price)", "2026-11-02"),
                usage("m.b", "support", 0, "2", OVERRIDE_SOURCE, "config"),
                usage(
                    "m.b",
                    "support",
                    1,
                    "4",
                    "https://aws.amazon.com/bedrock/pricing/",
                    "2025-09-30",
                ),
                usage("m.b", "support", 2, None, None),
                usage("m.b", "support", 3, "6", None),
            ],
        )
    with sessions() as session:
        by_model = bedrock_price_mix(session, AT, AT + timedelta(days=1), ("model",))
        whole = bedrock_price_mix(session, AT, AT + timedelta(days=1))
        support = bedrock_price_mix(session, AT, AT + timedelta(days=1), (), ["support"])

    def shares(mix):
        return {
            s.label: (s.estimated_usd, s.usage, s.hours, sorted(s.as_of))
            for s in mix.shares.values()
        }

    assert shares(by_model[("m.a",)]) == {
        PRICE_LIST: (Decimal(8), Decimal(2000), 2, ["2026-10-01", "2026-11-01"]),
        LIB: (Decimal(1), Decimal(1000), 1, ["2026-11-02"]),
    }
    assert shares(by_model[("m.b",)]) == {
        OVERRIDE: (Decimal(2), Decimal(1000), 1, []),  # an override's "as of" is no date
        SHIPPED: (Decimal(4), Decimal(1000), 1, ["2025-09-30"]),
        UNPRICED: (Decimal(0), Decimal(1000), 1, []),
        NOT_RECORDED: (Decimal(6), Decimal(1000), 1, []),
    }
    assert [s.label for s in whole[()].priced()] == [
        PRICE_LIST,
        NOT_RECORDED,
        SHIPPED,
        OVERRIDE,
        LIB,
    ]
    assert whole[()].unpriced.hours == 1 and whole[()].usage == Decimal(7000)
    assert set(shares(support[()])) == {OVERRIDE, SHIPPED, UNPRICED, NOT_RECORDED}


def test_the_endpoint_estimate_per_source_with_instance_hours(sessions):
    with sessions.begin() as session:
        ids = put_endpoints(
            session,
            [
                endpoint_row(
                    account_id=ACCOUNT,
                    region="us-east-1",
                    name=name,
                    team=team,
                    created_at=AT - timedelta(days=1),
                    seen_at=AT,
                    instance_type="ml.g5.xlarge",
                )
                for name, team in (("a", "search"), ("b", "support"))
            ],
        )

        def hour(name: str, at: int, cost: str | None, source: str | None, count: int = 1):
            row = endpoint_hour_row(
                endpoint_id=ids[name],
                hour=AT + timedelta(hours=at),
                instance_type="ml.g5.xlarge",
                instance_count=count,
                invocations=0,
                estimated_cost_usd=Decimal(cost or 0),
                collected_at=AT,
            )
            row.update(price_source=source, price_as_of="2026-11-01" if source else None)
            if cost is None:
                row.update(estimated_cost_usd=None, priced=False)
            return row

        upsert(
            session,
            EndpointHourly,
            [
                hour("a", 0, "2.8", "aws-price-list AmazonSageMaker sku G5", count=2),
                hour("a", 1, "1.4", None),
                hour("b", 0, None, None),
            ],
        )
    with sessions() as session:
        mix = endpoint_price_mix(session, AT, AT + timedelta(days=1))
        search = endpoint_price_mix(session, AT, AT + timedelta(days=1), ["search"])
    got = {
        s.label: (s.estimated_usd, s.usage, s.hours, sorted(s.as_of)) for s in mix.shares.values()
    }
    assert got == {
        PRICE_LIST: (Decimal("2.8"), Decimal(2), 1, ["2026-11-01"]),
        # stored before endpoint-hours recorded a source: the shipped catalog was the only one
        SHIPPED: (Decimal("1.4"), Decimal(1), 1, []),
        UNPRICED: (Decimal(0), Decimal(1), 1, []),
    }
    assert UNPRICED not in search.shares
