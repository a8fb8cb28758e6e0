"""The dashboard's queries in core.queries and its adapters, on SQLite and on Postgres."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from core.models import BedrockUsageHourly, CostDaily
from core.queries import (
    alerts_resolved,
    bedrock_slices,
    endpoint_summaries,
    endpoint_window,
    filter_options,
    spend_daily,
    spend_totals,
)
from dashboard.data import weekly_data
from demo import small as world

START = world.NOW.replace(hour=0, minute=0) - timedelta(days=9)
END = world.NOW.replace(hour=0, minute=0) - timedelta(days=2)


@pytest.fixture
def seeded(sessions):
    with sessions.begin() as session:
        world.seed(session)
    return sessions


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


def test_spend_daily_and_totals(seeded):
    first, after = START.date(), END.date()
    with seeded() as session:
        lines = list(
            session.scalars(select(CostDaily).where(CostDaily.day >= first, CostDaily.day < after))
        )
        daily = spend_daily(session, first, after, "service", teams=["search"])
        totals = spend_totals(session, first, after, "team", accounts=[world.ACCOUNTS[1]])
    expected = defaultdict(Decimal)
    for line in lines:
        if line.team == "search":
            expected[(line.day, line.service)] += line.amount_usd
    assert {(day, service): amount for day, service, amount in daily} == dict(expected)
    assert daily == sorted(daily)
    assert totals == {
        team: sum((line.amount_usd for line in lines if line.team == team), Decimal(0))
        for team in ("support", "unattributed")
    }


@pytest.mark.parametrize("days_back", [0, 3, 20])
def test_endpoint_window_agrees_with_endpoint_summaries(seeded, days_back):
    end = world.NOW.replace(minute=0) - timedelta(days=days_back)
    start = end - timedelta(days=7)
    with seeded() as session:
        fast = endpoint_window(session, start, end)
        reference = endpoint_summaries(session, start, end)
    assert [asdict(s) for s in fast] == [asdict(s) for s in reference]
    idle = {s.endpoint_name: s.idle_hours for s in fast}
    if days_back == 0:
        assert (
            idle["support-idle-llm"] == Decimal("59.000000") and idle["search-serverless"] is None
        )


def test_endpoint_window_filters(seeded):
    with seeded() as session:
        names = [
            s.endpoint_name
            for s in endpoint_window(session, START, END, teams=["search"], regions=["us-east-1"])
        ]
        none = endpoint_window(session, START, END, accounts=["999999999999"])
    assert names == ["search-ranker", "search-serverless"] and none == []


def test_filter_options_and_resolved_alerts(seeded):
    with seeded() as session:
        options = filter_options(session, START, END)
        resolved = alerts_resolved(session, world.NOW - timedelta(days=7), world.NOW)
    assert options.teams == ["search", "support", "unattributed"]
    assert options.accounts == list(world.ACCOUNTS) and options.regions == list(world.REGIONS)
    assert [a.rule for a in resolved] == ["budget_threshold"]


def test_weekly_data_compares_the_same_span(seeded):
    monday = world.TODAY - timedelta(days=world.TODAY.weekday())
    monday_start = datetime.combine(monday, datetime.min.time(), tzinfo=UTC)
    with seeded() as session:
        data = weekly_data(session, monday, world.NOW, teams=["search"])
        rows = list(
            session.scalars(select(BedrockUsageHourly).where(BedrockUsageHourly.team == "search"))
        )
    assert (data.start, data.end, data.complete) == (monday, world.TODAY + timedelta(days=1), False)
    assert (data.previous_start, data.previous_end) == (
        monday - timedelta(days=7),
        world.TODAY - timedelta(days=6),
    )
    assert list(data.teams["team"]) == ["search"]
    # the Bedrock estimate compares up to the same hour of the week
    week = timedelta(days=7)

    def cost(model, start, end):
        return sum(
            (
                r.estimated_cost_usd
                for r in rows
                if r.base_model_id == model and start <= r.hour < end
            ),
            Decimal(0),
        ).quantize(Decimal("0.01"))

    for row in data.models.itertuples():
        assert row.this_week_usd == cost(row.model, monday_start, world.NOW)
        assert row.last_week_usd == cost(row.model, monday_start - week, world.NOW - week)
    assert list(data.new_alerts["rule"]) == ["budget_forecast"]
    assert list(data.budgets["team"]) == ["search"]


def test_weekly_data_of_a_past_week_is_complete(seeded):
    monday = world.TODAY - timedelta(days=world.TODAY.weekday() + 7)
    with seeded() as session:
        data = weekly_data(session, monday, world.NOW)
    assert data.complete and data.end == monday + timedelta(days=7)
    assert list(data.resolved_alerts["rule"]) == ["budget_threshold"]
    assert data.total_this_week == sum(data.teams["this_week_usd"])


def test_bedrock_totals_folded_from_days_equal_the_totals_query(seeded):
    from dashboard.data import bedrock_totals_frame, totals_from_daily
    from dashboard.filters import parse_filters

    filters = parse_filters(
        {"start": str(START.date()), "end": str(END.date()), "region": "us-west-2"}, world.TODAY
    )
    with seeded() as session:
        start, end = filters.window
        folded = totals_from_daily(
            bedrock_slices(session, start, end, "team", True, regions=["us-west-2"])
        )
        direct = bedrock_totals_frame(session, filters, "team")
    assert folded.to_dict("records") == direct.to_dict("records")
    assert list(folded["model"]) == ["unattributed", "support", "search"]  # costliest first
