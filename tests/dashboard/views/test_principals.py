"""The Teams drill-down's view model (#14): the levels, a choice the team has no rows for, and the
bill per principal withheld for a principal that also called for another team; both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dashboard.filters import Filters
from dashboard.views.principals import drill_down
from tests.principal_world import (
    CATALOG,
    DAY,
    H10,
    HAIKU,
    PRINCIPAL_ROWS,
    SEARCH_API,
    SEARCH_BATCH,
    SONNET,
    cur_row,
    principal_row,
    seed_bill,
    seed_principals,
)

KEYS = ["project", "user"]


def filters(**extra: str) -> Filters:
    return Filters(date(2026, 11, 1), date(2026, 11, 20), ("search",), extra=extra)


def seed(sessions, shared: bool = False) -> None:
    # search-batch also calls for support when ``shared``: its bill is not search's alone
    extra = [principal_row(H10, SEARCH_BATCH, HAIKU, "support", (1, 1, 1, 0, 0), "0.5", CATALOG)]
    with sessions.begin() as session:
        seed_principals(session, PRINCIPAL_ROWS + (extra if shared else []))
        seed_bill(session, [], [], [cur_row(DAY, SEARCH_API, "2"), cur_row(DAY, SEARCH_BATCH, "3")])


def test_levels_follow_the_choices(sessions):
    seed(sessions)
    with sessions() as session:
        top = drill_down(session, filters(), KEYS, "search")
        chosen = drill_down(
            session, filters(app="project=checkout", principal=SEARCH_API), KEYS, "search"
        )
        unknown = drill_down(
            session, filters(app="project=zulu", principal=SEARCH_API), KEYS, "search"
        )
    assert list(top.applications["application"]) == [
        "project=checkout",
        "project=catalog",
        "user=bo",
    ]
    assert (top.application, top.principal, top.principals.empty, top.models.empty) == (
        None,
        None,
        True,
        True,
    )
    assert top.billed_usd == Decimal("5.00")
    assert list(chosen.principals["principal"]) == [SEARCH_API]
    assert list(chosen.principals["billed_usd"]) == [Decimal("2.00")]
    assert list(chosen.models["model_id"]) == [SONNET, HAIKU]
    assert list(chosen.models["input_tokens"]) == [1400, 300]
    assert list(chosen.models["estimated_cost_usd"]) == [Decimal("2.20"), Decimal("0.10")]
    assert (unknown.application, unknown.principal, unknown.principals.empty) == (None, None, True)


def test_a_principal_shared_with_another_team_shows_no_bill(sessions):
    seed(sessions, shared=True)
    with sessions() as session:
        down = drill_down(session, filters(app="project=catalog"), KEYS, "search")
    assert list(down.principals["principal"]) == [SEARCH_BATCH]
    assert list(down.principals["billed_usd"]) == [None]
    assert down.billed_usd == Decimal("2.00")  # search-api's alone
    assert list(down.principals["invocations"]) == [2]  # search's calls only
