"""Billed cost per resource from CUR lines, beside the endpoints' estimates (page view and export)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from core.db import upsert
from core.models import CostLine, Endpoint
from core.queries.billed import billed_by_resource, endpoint_arn, with_billed
from core.queries.endpoints import endpoint_summaries
from monitor.cli.export import endpoints_billed
from monitor.export import ENDPOINT_COLUMNS, endpoint_record

ACCOUNT = "123456789012"
COLLECTED = datetime(2026, 11, 3, tzinfo=UTC)


def cost_line(day: date, resource_id: str, unblended: str, line_type="Usage", amortized=None):
    return {
        "day": day,
        "source": "cur",
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "service": "Amazon SageMaker",
        "usage_type": "USE1-Host:ml.g5.xlarge",
        "resource_id": resource_id,
        "principal": "",
        "team": "search",
        "line_type": line_type,
        "billing_period": day.strftime("%Y-%m"),
        "product_code": "AmazonSageMaker",
        "model": None,
        "unblended_usd": Decimal(unblended),
        "net_usd": Decimal(unblended),
        "amortized_usd": Decimal(amortized if amortized is not None else unblended),
        "list_usd": Decimal(unblended),
        "usage_quantity": Decimal(1),
        "pricing_unit": "Hrs",
        "collected_at": COLLECTED,
    }


def endpoint(name: str, created: datetime, deleted: datetime | None = None) -> dict:
    return {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "endpoint_name": name,
        "created_at": created,
        "endpoint_arn": None,
        "endpoint_type": "real-time",
        "status": "InService",
        "deleted_at": deleted,
        "team": "search",
        "tags": {},
        "variants": [{"name": "AllTraffic", "instance_type": "ml.g5.xlarge", "instance_count": 1}],
        "inference_components": [],
        "multi_model": False,
        "scales_to_zero": False,
        "last_seen_at": COLLECTED,
    }


def seed(session: Session) -> str:
    arn = endpoint_arn(ACCOUNT, "us-east-1", "Search-Embeddings")
    upsert(
        session,
        CostLine,
        [
            cost_line(date(2026, 10, 5), arn, "1.41", "SavingsPlanCoveredUsage", "0.98"),
            cost_line(date(2026, 10, 5), arn, "-1.41", "SavingsPlanNegation", "0"),
            cost_line(date(2026, 10, 6), arn, "1.41"),
            cost_line(date(2026, 10, 20), arn, "2.00"),  # the re-created endpoint's day
            cost_line(date(2026, 10, 6), "", "9.99"),  # no resource: not anyone's
        ],
    )
    session.execute(
        Endpoint.__table__.insert(),
        [
            endpoint(
                "Search-Embeddings",
                datetime(2026, 10, 1, tzinfo=UTC),
                datetime(2026, 10, 10, tzinfo=UTC),
            ),
            endpoint("Search-Embeddings", datetime(2026, 10, 15, tzinfo=UTC)),
            endpoint("never-billed", datetime(2026, 10, 1, tzinfo=UTC)),
        ],
    )
    return arn


def test_billed_cost_per_resource_and_per_endpoint_life(sessions):
    with sessions.begin() as session:
        arn = seed(session)
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    with sessions() as session:
        billed = billed_by_resource(session, start, end)
        assert list(billed) == [arn]
        assert (billed[arn].unblended_usd, billed[arn].amortized_usd, billed[arn].source) == (
            Decimal("3.41"),
            Decimal("4.39"),
            "cur",
        )
        assert billed_by_resource(session, date(2026, 10, 6), date(2026, 10, 7))[
            arn
        ].unblended_usd == (Decimal("1.41"))
        lives = with_billed(session, endpoint_summaries(session, start, end), start, end)
        assert [
            (s.endpoint_name, s.created_at.day, s.billed_usd, s.billed_source) for s in lives
        ] == [
            ("Search-Embeddings", 1, Decimal("1.41"), "cur"),
            ("Search-Embeddings", 15, Decimal("2.00"), "cur"),
            ("never-billed", 1, None, None),
        ]
        records = [
            endpoint_record(s, catalog=_NoPrices())
            for s in endpoints_billed(session, start, end, None, None, None)
        ]
    assert all(list(record) == list(ENDPOINT_COLUMNS) for record in records)
    billed_column = [
        (r["billed_usd"] and Decimal(r["billed_usd"]), r["billed_source"]) for r in records
    ]
    assert billed_column == [(Decimal("1.41"), "cur"), (Decimal("2.00"), "cur"), (None, None)]


class _NoPrices:
    def price(self, *_args):
        return None
