"""Pure parts of the dashboard on fixture data: filters, figure builders and table cells."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs

import pandas as pd
import pytest

from dashboard.components import cell, column_widths, records
from dashboard.figures import budget_figure, empty_figure, stacked_daily, tokens_figure
from dashboard.filters import BadFilter, FilterSpec, parse_filters

TODAY = date(2026, 3, 18)
D = Decimal


def test_filters_default_to_the_last_30_days_and_round_trip_through_the_url():
    filters = parse_filters({}, TODAY)
    assert (filters.start, filters.end) == (date(2026, 2, 17), TODAY)
    assert filters.window == (datetime(2026, 2, 17, tzinfo=UTC), datetime(2026, 3, 19, tzinfo=UTC))
    shared = parse_filters(
        {
            "start": "2026-03-01",
            "end": "2026-03-07",
            "team": "search,unattributed",
            "region": "us-east-1",
            "by": "region",
        },
        TODAY,
        ["by"],
    )
    query = {key: value[0] for key, value in parse_qs(shared.query_string()).items()}
    assert query == {
        "start": "2026-03-01",
        "end": "2026-03-07",
        "team": "search,unattributed",
        "region": "us-east-1",
        "by": "region",
    }
    assert parse_filters(query, TODAY, ["by"]) == shared
    assert shared.team_list() == ["search", "unattributed"] and shared.account_list() is None


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"start": "garbage", "end": "2026-03-10"}, "start: expected a day like 2026-03-01"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end: 2026-03-01 is before start"),
        ({"end": "9999-12-31"}, "end: expected a day from 2000-01-01 to 2027-03-19"),
        ({"start": "1999-12-31"}, "start: expected a day from 2000-01-01"),
        ({"team": ",".join(["t"] * 101)}, "team: expected at most 100 choices"),
    ],
)
def test_filters_refuse_days_and_values_that_mean_nothing(query, reason):
    with pytest.raises(BadFilter, match=reason):
        parse_filters(query, TODAY)


def test_filters_near_the_bounds_are_kept():
    early = parse_filters({"end": "2000-01-05"}, TODAY)
    assert (early.start, early.end) == (date(2000, 1, 1), date(2000, 1, 5))
    picked = parse_filters({"start": "2026-03-01T00:00:00", "end": "2027-03-19"}, TODAY)
    assert (picked.start, picked.end) == (date(2026, 3, 1), date(2027, 3, 19))


def test_filter_spec_reads_component_values_in_input_order():
    spec = FilterSpec("bedrock", extra=(("by", "bedrock-by", "value"),))
    assert [f"{i.component_id}.{i.component_property}" for i in spec.inputs()] == [
        "bedrock-dates.start_date",
        "bedrock-dates.end_date",
        "bedrock-team.value",
        "bedrock-account.value",
        "bedrock-region.value",
        "bedrock-by.value",
    ]
    filters = spec.parse(
        TODAY, ["2026-03-01T00:00:00", "2026-03-05", ["a", "b"], [], None, "region"]
    )
    assert (filters.start, filters.end, filters.teams, filters.accounts, filters.extra["by"]) == (
        date(2026, 3, 1),
        date(2026, 3, 5),
        ("a", "b"),
        (),
        "region",
    )
    single = FilterSpec("teams", single_team=True).parse(TODAY, [None, None, "support", None, None])
    assert single.teams == ("support",)


def budgets_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ["search", D("2858.30"), D("4946.77"), D("5000.00")],
            ["unattributed", D("318.25"), D("600.07"), None],
        ],
        columns=["team", "spent_usd", "projected_usd", "budget_usd"],
    )


def test_budget_figure_shows_actual_projected_and_the_budget_where_there_is_one():
    figure = budget_figure(budgets_frame(), "2026-03")
    spent, projected, budget = figure.data
    assert list(spent.y) == [2858.30, 318.25] and list(projected.y) == [4946.77, 600.07]
    assert list(budget.x) == ["search"] and list(budget.y) == [5000.0]
    assert "2026-03" in figure.layout.title.text


def test_empty_data_gives_a_figure_that_says_why():
    figure = budget_figure(
        pd.DataFrame(columns=["team", "spent_usd", "projected_usd", "budget_usd"]), "2026-03"
    )
    assert not figure.data and "No Cost Explorer spend" in figure.layout.annotations[0].text
    assert empty_figure("nothing").layout.annotations[0].text == "nothing"
    assert not tokens_figure(pd.DataFrame()).data


def test_stacked_daily_puts_the_biggest_key_first_and_skips_unknown_amounts():
    frame = pd.DataFrame(
        [
            [date(2026, 3, 1), "small", D("1.00")],
            [date(2026, 3, 1), "big", D("5.00")],
            [date(2026, 3, 2), "big", D("7.50")],
            [date(2026, 3, 2), "small", None],
        ],
        columns=["day", "key", "amount_usd"],
    )
    figure = stacked_daily(frame, "key", "amount_usd", "t", "none")
    assert [trace.name for trace in figure.data] == ["big", "small"]
    assert list(figure.data[0].y) == [5.0, 7.5] and list(figure.data[1].y) == [1.0, None]
    assert figure.layout.barmode == "stack"


def test_cells_are_what_the_browser_table_holds():
    assert (
        cell(D("12.30")) == 12.3
        and cell(None) is None
        and cell(pd.NaT) is None
        and cell(True) == "yes"
    )
    assert (
        cell(datetime(2026, 3, 1, 5, tzinfo=UTC)) == "2026-03-01T05:00:00Z"
        and cell(date(2026, 3, 1)) == "2026-03-01"
    )
    frame = pd.DataFrame(
        [[1, None], [2, datetime(2026, 3, 1, tzinfo=UTC)]], columns=["id", "resolved_at"]
    )
    assert records(frame) == [
        {"id": 1, "resolved_at": None},
        {"id": 2, "resolved_at": "2026-03-01T00:00:00Z"},
    ]


def test_columns_never_cut_a_number_or_an_id_and_let_long_words_break():
    # the widest amount is not narrowed: numbers do not wrap, a cut one would read wrong
    wide, _ = column_widths("estimated_cost_usd", [123456789.5])
    assert wide >= round(len("123,456,789.50") * 6.9)
    # an account's 12 digits stay on one line; a model id breaks instead of widening its column
    account, _ = column_widths("account_id", ["111111111111"])
    model, wanted = column_widths("model", ["anthropic.claude-3-5-sonnet-20240620-v1:0"])
    assert account >= round(12 * 7.7) and model < account < wanted
