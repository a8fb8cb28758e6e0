"""Per-principal reads (#14): the rows, the team -> application -> principal -> model drill-down,
principal slices, and the bill per principal; SQLite and Postgres."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.queries.principals import (
    application_of,
    billed_by_principal,
    principal_breakdown,
    principal_slices,
    principal_usage,
)
from tests.principal_world import (
    DAY,
    H10,
    H11,
    PRINCIPAL_ROWS,
    SEARCH_API,
    SEARCH_BATCH,
    SONNET,
    STRANGER,
    SUPPORT_BOT,
    cur_row,
    principal_row,
    seed_bill,
    seed_principals,
)

START, END = H10 - timedelta(hours=10), H11 + timedelta(hours=1)
COUNTS = ("invocations", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def expected_breakdown(rows, keys, teams=None):
    """The drill-down folded by hand from the inserted rows."""
    found = {}
    for row in rows:
        if teams and row["team"] not in teams:
            continue
        key = (
            row["team"],
            application_of(row["request_metadata"], row["principal"], keys),
            row["principal"],
            row["model_id"],
        )
        sums = found.setdefault(key, [0] * len(COUNTS) + [Decimal(0), 0])
        for index, name in enumerate(COUNTS):
            sums[index] += row[name]
        sums[-2] += row["estimated_cost_usd"] or 0
        sums[-1] += 0 if row["priced"] else 1
    return found


def as_found(rows):
    return {
        (r.team, r.application, r.principal, r.model_id): [
            *(getattr(r, name) for name in COUNTS),
            r.estimated_cost_usd,
            r.unpriced_rows,
        ]
        for r in rows
    }


def test_application_is_the_first_configured_key_present_else_the_principal():
    metadata = '{"project":"checkout","user":"ana"}'
    assert application_of(metadata, SEARCH_API, ["project", "user"]) == "project=checkout"
    assert application_of(metadata, SEARCH_API, ["user", "project"]) == "user=ana"
    assert application_of('{"user":"bo"}', SEARCH_API, ["project"]) == SEARCH_API
    assert application_of("{}", SEARCH_API, ["project"]) == SEARCH_API
    assert application_of("not json", SEARCH_API, ["project"]) == SEARCH_API


def test_breakdown_per_team_application_principal_and_model(sessions):
    with sessions.begin() as session:
        seed_principals(session)
    with sessions() as session:
        for keys in (["project", "user"], ["user"], []):
            rows = principal_breakdown(session, START, END, keys)
            assert as_found(rows) == expected_breakdown(PRINCIPAL_ROWS, keys)
            costs = [r.estimated_cost_usd for r in rows]
            assert costs == sorted(costs, reverse=True)
        top = principal_breakdown(session, START, END, ["project"])[0]
        assert (top.team, top.application, top.principal, top.model_id) == (
            "search",
            "project=checkout",
            SEARCH_API,
            SONNET,
        )
        assert (top.invocations, top.input_tokens, top.cache_read_tokens) == (14, 1400, 50)
        assert top.estimated_cost_usd == Decimal("2.2")
        # the team filter: no other team's principal appears
        support = principal_breakdown(session, START, END, ["project"], teams=["support"])
        assert as_found(support) == expected_breakdown(PRINCIPAL_ROWS, ["project"], ["support"])
        assert {r.principal for r in support} == {SUPPORT_BOT}
        # the window is half-open: only the 10:00 hour
        first_hour = principal_breakdown(session, H10, H11, [])
        assert sum(r.invocations for r in first_hour) == sum(
            r["invocations"] for r in PRINCIPAL_ROWS if r["hour"] == H10
        )
        assert principal_breakdown(session, START, END, [], accounts=["999999999999"]) == []


def test_usage_rows_are_streamed_oldest_first_and_filtered(sessions):
    with sessions.begin() as session:
        seed_principals(session)
    with sessions() as session:
        rows = list(principal_usage(session))
        assert len(rows) == len(PRINCIPAL_ROWS)
        assert [r.hour for r in rows] == sorted(r.hour for r in rows)
        assert {r.principal for r in principal_usage(session, teams=["unattributed"])} == {STRANGER}
        assert [r.hour for r in principal_usage(session, start=H11)] == [H11, H11]
        assert list(principal_usage(session, regions=["eu-west-1"])) == []


def test_principal_slices_per_day_and_in_all(sessions):
    later = principal_row(
        H10 + timedelta(days=1), SUPPORT_BOT, SONNET, "support", (1, 10, 1, 0, 0), "0.250000"
    )
    with sessions.begin() as session:
        seed_principals(session, [*PRINCIPAL_ROWS, later])
    with sessions() as session:
        daily = principal_slices(session, START, END + timedelta(days=1))
        bot = [(s.day, s.invocations, s.estimated_cost_usd) for s in daily if s.key == SUPPORT_BOT]
        assert bot == [(DAY, 7, Decimal("2")), (DAY + timedelta(days=1), 1, Decimal("0.25"))]
        whole = {s.key: s for s in principal_slices(session, START, END, per_day=False)}
        batch = whole[SEARCH_BATCH]
        assert (batch.day, batch.invocations, batch.input_tokens, batch.output_tokens) == (
            None,
            3,
            300,
            30,
        )
        assert (batch.estimated_cost_usd, batch.unpriced_hours) == (Decimal("0.3"), 1)
        assert set(whole) == {r["principal"] for r in PRINCIPAL_ROWS}
        assert {s.key for s in principal_slices(session, START, END, False, ["support"])} == {
            SUPPORT_BOT
        }


def test_bill_per_principal_from_cur_lines(sessions):
    explorer = {**cur_row(DAY, SUPPORT_BOT, "9"), "source": "cost_explorer"}
    with sessions.begin() as session:
        seed_bill(
            session,
            [],
            [],
            [
                cur_row(DAY, SEARCH_API, "1.25"),
                {**cur_row(DAY, SEARCH_API, "0.75"), "usage_type": "USE1-output"},
                cur_row(DAY, SUPPORT_BOT, "2"),
                cur_row(DAY, SUPPORT_BOT, "5", service="Amazon SageMaker"),
                cur_row(DAY, "", "4"),
                cur_row(DAY - timedelta(days=1), SEARCH_API, "100"),
                explorer,
            ],
        )
    with sessions() as session:
        after = DAY + timedelta(days=1)
        assert billed_by_principal(session, DAY, after) == {
            SEARCH_API: Decimal("2"),
            SUPPORT_BOT: Decimal("2"),
        }
        assert billed_by_principal(session, DAY, after, [SUPPORT_BOT]) == {
            SUPPORT_BOT: Decimal("2")
        }
        assert billed_by_principal(session, DAY, after, accounts=["999999999999"]) == {}
        assert billed_by_principal(session, date(2026, 1, 1), date(2026, 1, 2)) == {}
