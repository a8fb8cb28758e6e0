"""The readers that read whole days from the daily rollups answer exactly what they answered from
the hourly rows alone, on the same data; and once retention drops old hourly rows, their daily
figures stay. On SQLite and on Postgres."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from core.models import Base, BedrockUsageHourly, EndpointHourly
from core.queries import daily
from core.queries.bedrock import BEDROCK_DIMENSIONS, bedrock_slices
from core.queries.costs import bedrock_reconciliation
from core.queries.endpoints import endpoint_summaries
from core.queries.options import filter_options
from core.queries.price_sources import bedrock_price_mix, endpoint_price_mix
from tests.core.rollup_world import (
    DAYS,
    LOADS,
    SAMPLE_BEDROCK,
    SAMPLE_ENDPOINT,
    START,
    TARGETS,
    TEAMS,
    Load,
    collect,
)

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MINUTES = st.integers(min_value=-60, max_value=(DAYS + 1) * 24 * 60)
FILTERS = st.tuples(
    st.none() | st.lists(st.sampled_from(TEAMS), min_size=1, unique=True),
    st.none() | st.lists(st.sampled_from(sorted({a for a, _ in TARGETS})), min_size=1, unique=True),
    st.none() | st.lists(st.sampled_from(sorted({r for _, r in TARGETS})), min_size=1, unique=True),
)


def hourly_only(start, end):
    """The window read from the hourly rows alone: what the readers did before the rollups."""
    return None, [(start, end)]


def answers(session, start, end, by, filters):
    """Every switched reader's answer for one window, by and filters."""
    teams, accounts, regions = filters
    return {
        "slices": bedrock_slices(session, start, end, by, True, teams, accounts, regions),
        "totals": bedrock_slices(session, start, end, by, False, teams, accounts, regions),
        "mix": bedrock_price_mix(session, start, end, (by,), teams, accounts, regions),
        "mix_all": bedrock_price_mix(session, start, end, (), teams, accounts, regions),
        "endpoint_mix": endpoint_price_mix(session, start, end, teams, accounts, regions),
        "endpoints": endpoint_summaries(session, start, end, teams, accounts, regions),
        "reconciliation": bedrock_reconciliation(session, start.date(), end.date(), teams),
        "options": filter_options(session, start, end, teams),
    }


def empty(sessions) -> None:
    with sessions.begin() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


@SETTINGS
@given(
    st.lists(LOADS, min_size=1, max_size=5),
    MINUTES,
    MINUTES,
    st.sampled_from(sorted(BEDROCK_DIMENSIONS)),
    FILTERS,
)
@example(  # two whole days between two partial ones
    [Load(0, 0, 24 * DAYS, ("m.a", "m.b"), ("ep-1",), (SAMPLE_BEDROCK,), (SAMPLE_ENDPOINT,))],
    90,
    3 * 24 * 60 + 30,
    "model",
    (None, None, None),
)
def test_readers_answer_as_the_hourly_rows_did(sessions, loads, first, last, by, filters):
    empty(sessions)
    for load in loads:
        collect(sessions, load)
    start = START + timedelta(minutes=min(first, last))
    end = START + timedelta(minutes=max(first, last) + 1)
    with sessions() as session:
        through_rollups = answers(session, start, end, by, filters)
        with mock.patch.object(daily, "whole_days", hourly_only):
            from_hours = answers(session, start, end, by, filters)
    assert through_rollups == from_hours


def test_daily_figures_stay_once_retention_drops_the_hourly_rows(sessions):
    load = Load(
        0, 0, 24 * DAYS, ("m.a", "us.m.a"), ("ep-1", "ep-2"), (SAMPLE_BEDROCK,), (SAMPLE_ENDPOINT,)
    )
    collect(sessions, load)
    start, end = START, START + timedelta(days=DAYS - 1)

    def figures(session):
        summaries = endpoint_summaries(session, start, end)
        return (
            bedrock_slices(session, start, end, "model_id"),
            bedrock_price_mix(session, start, end, ("team",)),
            endpoint_price_mix(session, start, end),
            bedrock_reconciliation(session, start.date(), end.date()),
            [
                (s.endpoint_name, s.hours_in_service, s.invocations, s.estimated_cost_usd)
                for s in summaries
            ],
        )

    with sessions() as session:
        before = figures(session)
    with sessions.begin() as session:
        # what dropping the expired partitions does: the hourly rows go, the rollups stay
        session.execute(delete(BedrockUsageHourly).where(BedrockUsageHourly.hour < end))
        session.execute(delete(EndpointHourly).where(EndpointHourly.hour < end))
    with sessions() as session:
        after = figures(session)
    slices = before[0]
    assert len({s.day for s in slices}) == DAYS - 1
    assert {s.key for s in slices} == {"m.a", "us.m.a"}
    assert sum(s.invocations for s in slices) == 2 * 24 * (DAYS - 1) * SAMPLE_BEDROCK["invocations"]
    assert before[4] and all(hours == 24 * (DAYS - 1) for _n, hours, _c, _u in before[4])
    assert after == before
