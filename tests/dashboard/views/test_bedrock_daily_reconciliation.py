"""The Bedrock page's daily reconciliation: list estimate, effective-rate estimate and bill side
by side per day, the days the bill does not cover yet marked and at the latest effective rate;
the view model and its figure, on SQLite and Postgres."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dashboard.figures import reconciliation_figure
from dashboard.filters import parse_filters
from dashboard.views.bedrock import RECONCILIATION_COLUMNS, reconciliation_frame
from tests.core.queries.test_daily_reconciliation import seed

TODAY = date(2026, 11, 5)


def test_the_frame_and_chart_show_list_effective_and_billed_and_mark_the_unbilled_day(sessions):
    seed(sessions)
    filters = parse_filters({"start": "2026-11-01", "end": "2026-11-03"}, TODAY)
    with sessions() as session:
        frame = reconciliation_frame(session, filters, None)
        support = reconciliation_frame(session, filters, ["support"])
    assert list(frame.columns) == RECONCILIATION_COLUMNS
    assert frame.to_dict("records") == [
        {
            "day": date(2026, 11, 1),
            "list_estimate_usd": Decimal("4.80"),
            "effective_estimate_usd": Decimal("3.60"),
            "billed_usd": Decimal("3.70"),
            "gap_usd": Decimal("0.10"),
            "estimate_basis": "billed",
        },
        {
            "day": date(2026, 11, 2),
            "list_estimate_usd": Decimal("1.60"),
            "effective_estimate_usd": Decimal("1.00"),
            "billed_usd": Decimal("1.00"),
            "gap_usd": Decimal("0.00"),
            "estimate_basis": "billed",
        },
        {
            "day": date(2026, 11, 3),
            "list_estimate_usd": Decimal("4.00"),
            "effective_estimate_usd": Decimal("2.90"),
            "billed_usd": Decimal("0.00"),
            "gap_usd": None,
            "estimate_basis": "not billed yet: rate of 2026-11-02",
        },
    ]
    assert support["effective_estimate_usd"].tolist() == [Decimal("0.50")]

    figure = reconciliation_figure(frame)
    traces = {trace.name: (list(trace.y), trace.offsetgroup) for trace in figure.data}
    assert traces == {
        "estimate at list price": ([4.8, 1.6, 4.0], "list"),
        "estimate at effective rate": ([3.6, 1.0, None], "effective"),
        "not billed yet: at latest effective rate": ([None, None, 2.9], "effective"),
        "billed": ([3.7, 1.0, 0.0], "billed"),
    }
    # every day billed: no hatched series
    assert "not billed yet: at latest effective rate" not in {
        trace.name for trace in reconciliation_figure(frame.head(2)).data
    }


def test_an_account_or_region_filter_empties_the_daily_reconciliation(sessions):
    seed(sessions)
    filters = parse_filters({"start": "2026-11-01", "region": "us-east-1"}, TODAY)
    with sessions() as session:
        assert reconciliation_frame(session, filters, None).empty
