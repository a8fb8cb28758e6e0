"""The daily rollups equal the sums of their hourly rows after any sequence of loads,
re-collections, restatements and deletes (hourly rows dropped by retention leave their days'
rollups as they were); on SQLite and on Postgres."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from core.models import Base, BedrockUsageHourly, Endpoint, EndpointHourly
from core.rollups import BEDROCK, ENDPOINT, day_start, refresh_rollups
from tests.core.rollup_world import (
    DAYS,
    ENDPOINTS,
    LOADS,
    START,
    TARGETS,
    bedrock_values,
    collect,
    endpoint_values,
    expected_bedrock,
    expected_endpoint,
    stored_bedrock,
    stored_endpoint,
)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("load"), LOADS),
        st.tuples(st.just("again"), st.none()),  # the last window collected again, unchanged
        st.tuples(  # the last window collected again, its values restated
            st.just("restate"),
            st.tuples(
                st.lists(bedrock_values(), min_size=1, max_size=3),
                st.lists(endpoint_values(), min_size=1, max_size=3),
            ),
        ),
        st.tuples(  # hourly rows of a target deleted by a writer that refreshes the rollups
            st.just("delete"),
            st.tuples(
                st.integers(0, len(TARGETS) - 1), st.integers(0, DAYS * 24), st.integers(1, 30)
            ),
        ),
        st.tuples(st.just("delete_endpoint"), st.sampled_from(ENDPOINTS)),  # cascades
        st.tuples(st.just("retention"), st.integers(1, DAYS)),  # drops days' hourly rows only
    ),
    min_size=1,
    max_size=8,
)


def empty(sessions) -> None:
    with sessions.begin() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


def _key_target(table: str, key: tuple[Any, ...], owners: dict[int, tuple[str, str]]) -> tuple:
    """(account, region, day) a rollup key belongs to."""
    if table == BEDROCK:
        return (key[1], key[2], key[0])
    return (*owners.get(key[0], ("?", "?")), key[1])


class Model:
    """What the rollups must hold: the hourly sums, except the (account, region, day)s whose
    hourly rows retention dropped, which keep what they held then."""

    def __init__(self) -> None:
        self.frozen: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {BEDROCK: {}, ENDPOINT: {}}
        self.frozen_days: set[tuple[str, str, Any]] = set()

    def thaw(self, account: str, region: str, first: Any, after: Any) -> None:
        """A write of [first, after) rewrote these days of the target from the hourly rows."""
        day = first.date()
        while day_start(day) < after:
            self.frozen_days.discard((account, region, day))
            day += timedelta(days=1)

    def check(self, session) -> None:
        owners = {
            endpoint_id: (account, region)
            for endpoint_id, account, region in session.execute(
                select(Endpoint.id, Endpoint.account_id, Endpoint.region)
            )
        }
        for table, expected, stored in (
            (BEDROCK, expected_bedrock(session), stored_bedrock(session)),
            (ENDPOINT, expected_endpoint(session), stored_endpoint(session)),
        ):
            frozen = {
                key: value
                for key, value in self.frozen[table].items()
                if _key_target(table, key, owners) in self.frozen_days
                and (table == BEDROCK or key[0] in owners)
            }
            live = {
                key: value
                for key, value in expected.items()
                if _key_target(table, key, owners) not in self.frozen_days
            }
            kept = {
                k: v for k, v in stored.items() if _key_target(table, k, owners) in self.frozen_days
            }
            rest = {k: v for k, v in stored.items() if k not in kept}
            assert rest == live
            assert kept == frozen


@SETTINGS
@given(OPERATIONS)
def test_rollups_equal_the_hourly_sums_after_any_history(sessions, operations):
    empty(sessions)
    model = Model()
    last = None
    for kind, arg in operations:
        if kind == "load" or (kind in ("again", "restate") and last is not None):
            if kind == "load":
                last = arg
            elif kind == "restate":
                last = type(last)(
                    last.target,
                    last.first_hour,
                    last.hours,
                    last.models,
                    last.endpoints,
                    tuple(arg[0]),
                    tuple(arg[1]),
                )
            collect(sessions, last)
            model.thaw(*TARGETS[last.target], last.window.start, last.window.end)
        elif kind == "delete":
            target, first, hours = arg
            account, region = TARGETS[target]
            start = START + timedelta(hours=first)
            end = start + timedelta(hours=hours)
            with sessions.begin() as session:
                ids = select(Endpoint.id).where(
                    Endpoint.account_id == account, Endpoint.region == region
                )
                session.execute(
                    delete(BedrockUsageHourly).where(
                        BedrockUsageHourly.account_id == account,
                        BedrockUsageHourly.region == region,
                        BedrockUsageHourly.hour >= start,
                        BedrockUsageHourly.hour < end,
                    )
                )
                session.execute(
                    delete(EndpointHourly).where(
                        EndpointHourly.endpoint_id.in_(ids),
                        EndpointHourly.hour >= start,
                        EndpointHourly.hour < end,
                    )
                )
                refresh_rollups(session, [BEDROCK, ENDPOINT], account, region, start, end)
            model.thaw(account, region, start, end)
        elif kind == "delete_endpoint":
            with sessions.begin() as session:
                session.execute(delete(Endpoint).where(Endpoint.endpoint_name == arg))
        elif kind == "retention":
            cutoff = day_start((START + timedelta(days=arg)).date())
            with sessions() as session:
                model.frozen = {
                    BEDROCK: stored_bedrock(session),
                    ENDPOINT: stored_endpoint(session),
                }
            day = START.date()
            while day_start(day) < cutoff:
                model.frozen_days |= {(a, r, day) for a, r in TARGETS}
                day += timedelta(days=1)
            with sessions.begin() as session:
                session.execute(delete(BedrockUsageHourly).where(BedrockUsageHourly.hour < cutoff))
                session.execute(delete(EndpointHourly).where(EndpointHourly.hour < cutoff))
        with sessions() as session:
            model.check(session)
