"""The Weekly view model: pure frames and weeks, and the week read from the world on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.models import BedrockUsageHourly
from core.queries.waste import UnderUse
from dashboard.figures import week_compare_figure
from dashboard.views.weekly import compare_frame, iso_week, movers_frame, week_monday, weekly_data
from demo import small as world

D = Decimal


def test_compare_and_movers():
    teams = compare_frame({"a": D("120"), "b": D("10")}, {"a": D("100"), "c": D("50")}, "team")
    assert list(teams["team"]) == ["a", "b", "c"]
    assert list(teams["change_usd"]) == [D("20.00"), D("10.00"), D("-50.00")]
    assert teams["change"].iloc[0] == D("0.2000") and teams["change"].iloc[1] is None
    models = compare_frame({"m": D("5")}, {"m": D("5")}, "model")
    movers = movers_frame(teams, models, limit=2)
    assert list(movers["name"]) == [
        "c",
        "a",
    ]  # by the size of the move, either way; unchanged ones left out
    figure = week_compare_figure(teams, "team", "t")
    assert [trace.name for trace in figure.data] == ["last week", "this week"]


def test_weeks():
    assert iso_week(date(2026, 1, 1)) == "2026-W01" and iso_week(date(2024, 12, 30)) == "2025-W01"
    assert week_monday("2026-w11") == date(2026, 3, 9)
    with pytest.raises(ValueError, match="ISO week"):
        week_monday("2026-11")


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


def test_weekly_data_lists_the_costliest_idle_resources_as_of_the_week(seeded):
    monday = world.TODAY - timedelta(days=world.TODAY.weekday())
    with seeded() as session:
        now = weekly_data(session, monday, world.NOW)
        search = weekly_data(session, monday, world.NOW, teams=["search"])
        longer = weekly_data(
            session, monday, world.NOW, min_idle={"sagemaker_endpoint": timedelta(hours=72)}
        )
        # the week before ended (Sunday midnight) before the endpoint fell silent
        before = weekly_data(session, monday - timedelta(days=7), world.NOW)
        # the config's `waste` section: an instance carries 2 calls an hour, so 3 need both
        strict = weekly_data(
            session,
            monday - timedelta(days=7),
            world.NOW,
            under=UnderUse(invocations_per_instance_hour=2),
        )
    assert list(now.waste["name"]) == ["support-idle-llm"]
    assert list(now.waste["monthly_usd"]) == [Decimal("2211.90")]
    assert search.waste.empty
    # not idle for 72 hours, nor before it fell silent: then its 3 calls an hour fitted one of
    # its 2 instances, under-used
    for under in (longer, before):
        assert list(zip(under.waste["kind"], under.waste["name"], strict=True)) == [
            ("sagemaker_endpoint_underused", "support-idle-llm")
        ]
    assert strict.waste.empty
