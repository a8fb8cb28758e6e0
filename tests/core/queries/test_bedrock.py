"""Bedrock usage read per key and day, on the dashboard's world, on SQLite and on Postgres."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, text

from core.models import BedrockUsageHourly
from core.queries.bedrock import bedrock_slices
from demo import small as world

START = world.NOW.replace(hour=0, minute=0) - timedelta(days=9)
END = world.NOW.replace(hour=0, minute=0) - timedelta(days=2)


def raw_usage(session):
    return list(
        session.scalars(
            select(BedrockUsageHourly).where(
                BedrockUsageHourly.hour >= START, BedrockUsageHourly.hour < END
            )
        )
    )


def test_bedrock_slices_sum_the_hours_per_utc_day_and_key(seeded):
    with seeded() as session:
        if session.get_bind().dialect.name == "postgresql":
            # a session time zone far from UTC must not move hours across days
            session.execute(text("SET TIME ZONE 'Pacific/Auckland'"))
        slices = bedrock_slices(session, START, END, "region", True, teams=["search", "support"])
        expected: dict[tuple, list] = defaultdict(lambda: [0, 0, Decimal(0)])
        for row in raw_usage(session):
            if row.team in ("search", "support"):
                entry = expected[(row.hour.date(), row.region)]
                entry[0] += row.invocations
                entry[1] += row.input_tokens
                entry[2] += row.estimated_cost_usd
    got = {(s.day, s.key): [s.invocations, s.input_tokens, s.estimated_cost_usd] for s in slices}
    assert got == {
        key: [calls, tokens, cost.quantize(Decimal("0.000001"))]
        for key, (calls, tokens, cost) in expected.items()
    }
    assert len({day for day, _region in got}) == 7


def test_bedrock_slices_totals_and_filters(seeded):
    with seeded() as session:
        totals = bedrock_slices(
            session, START, END, "model", False, accounts=[world.ACCOUNTS[0]], regions=["us-east-1"]
        )
        rows = [
            r
            for r in raw_usage(session)
            if r.account_id == world.ACCOUNTS[0] and r.region == "us-east-1"
        ]
    assert [s.key for s in totals] == list(world.MODELS)  # costliest first: the pricier model
    for s in totals:
        mine = [r for r in rows if r.base_model_id == s.key]
        assert s.day is None
        assert s.throttles == sum(r.throttles for r in mine) and s.cache_read_tokens == sum(
            r.cache_read_tokens for r in mine
        )
        assert s.estimated_cost_usd == sum((r.estimated_cost_usd for r in mine), Decimal(0))
