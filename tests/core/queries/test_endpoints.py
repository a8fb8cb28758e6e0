"""Endpoint lives over a window on the dashboard's world, on SQLite and on Postgres."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.queries.endpoints import endpoint_hours, endpoint_summaries
from demo import small as world

START = world.NOW.replace(hour=0, minute=0) - timedelta(days=9)
END = world.NOW.replace(hour=0, minute=0) - timedelta(days=2)


@pytest.mark.parametrize("days_back", [0, 3, 20])
def test_endpoint_summaries_of_a_window_carry_the_idle_streak_as_of_its_end(seeded, days_back):
    end = world.NOW.replace(minute=0) - timedelta(days=days_back)
    with seeded() as session:
        summaries = endpoint_summaries(session, end - timedelta(days=7), end)
        unbounded = endpoint_summaries(session, end=end)
    idle = {s.endpoint_name: s.idle_hours for s in summaries}
    # the window cuts the hours and cost summed, never the idle streak
    assert idle == {s.endpoint_name: s.idle_hours for s in unbounded if s.endpoint_name in idle}
    if days_back == 0:
        assert (
            idle["support-idle-llm"] == Decimal("59.000000") and idle["search-serverless"] is None
        )
        by_name = {s.endpoint_name: s for s in summaries}
        assert by_name["support-idle-llm"].idle_for(Decimal(59))
        assert not by_name["support-idle-llm"].idle_for(Decimal(60))
        assert not by_name["search-serverless"].idle_for(Decimal(0))  # bills per use


def test_endpoint_summaries_filters(seeded):
    with seeded() as session:
        names = [
            s.endpoint_name
            for s in endpoint_summaries(
                session, START, END, teams=["search"], regions=["us-east-1"]
            )
        ]
        none = endpoint_summaries(session, START, END, accounts=["999999999999"])
    assert names == ["search-ranker", "search-serverless"] and none == []


def test_endpoint_hours_are_each_stored_hour_of_the_chosen_endpoints(seeded):
    end = world.NOW.replace(minute=0)
    start = end - timedelta(hours=3)
    with seeded() as session:
        hours = endpoint_hours(session, start, end)
        support = endpoint_hours(session, start, end, teams=["support"])
    assert [(h.endpoint_name, h.hour, h.invocations, h.bills_per_use) for h in hours] == [
        (name, start + timedelta(hours=i), calls(i), per_use)
        for name, calls, per_use in (
            ("search-ranker", lambda _i: 20, False),
            (
                "search-serverless",
                lambda i: 5 if (start + timedelta(hours=i)).hour % 6 == 0 else 0,
                True,
            ),
            ("support-idle-llm", lambda _i: 0, False),
        )
        for i in range(3)
    ]
    assert {h.service_hours for h in hours} == {Decimal("1.000000")}
    assert [h.endpoint_name for h in support] == ["support-idle-llm"] * 3
