"""The weekly digest rendered from a Weekly view model built on fixture data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd

from core.queries.waste_row import WasteRow
from dashboard.digest import render_weekly_html, render_weekly_text
from dashboard.views.alerts import alerts_frame
from dashboard.views.waste import waste_frame
from dashboard.views.weekly import BUDGET_COLUMNS, WeeklyData, compare_frame, movers_frame

D = Decimal


def weekly() -> WeeklyData:
    teams = compare_frame(
        {"search": D("552.30"), "<script>": D("1")}, {"search": D("547.05")}, "team"
    )
    models = compare_frame({"claude": D("254.88")}, {"claude": D("302.40")}, "model")
    return WeeklyData(
        week="2026-W11",
        start=date(2026, 3, 9),
        end=date(2026, 3, 16),
        previous_start=date(2026, 3, 2),
        previous_end=date(2026, 3, 9),
        complete=True,
        teams=teams,
        models=models,
        movers=movers_frame(teams, models),
        budgets=pd.DataFrame(
            [
                [
                    "search",
                    "all",
                    D("5000"),
                    D("2858.30"),
                    D("0.5717"),
                    D("4946.77"),
                    D("0.9894"),
                    "on track",
                ]
            ],
            columns=BUDGET_COLUMNS,
        ),
        new_alerts=alerts_frame([]),
        resolved_alerts=alerts_frame([]),
        waste=waste_frame([_idle(index) for index in range(5)]),
    )


def _idle(index: int) -> WasteRow:
    return WasteRow(
        kind="sagemaker_endpoint",
        resource=f"arn:aws:sagemaker:us-east-1:111122223333:endpoint/idle-{index}",
        name=f"idle-{index}",
        account_id="111122223333",
        region="us-east-1",
        team="<b>support</b>" if index == 0 else "search",
        idle_since=datetime(2026, 3, 14, index, tzinfo=UTC),
        idle_hours=D(40),
        burnt_usd=D(100 - index),
        monthly_usd=D(2000 - index),
        action="delete (snapshot first)",
    )


def test_digest_is_one_self_contained_escaped_document():
    html = render_weekly_html(
        weekly(),
        datetime(2026, 3, 16, 7, tzinfo=UTC),
        "https://dash.example.com/weekly?week=2026-W11",
    )
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert 'id="total-this-week">$553.30<' in html and 'id="total-last-week">$547.05<' in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "-$47.52" in html and "No alert opened this week." in html
    assert '<a href="https://dash.example.com/weekly?week=2026-W11">' in html
    # the five idle resources costing most a month, escaped like the rest
    assert html.count("delete (snapshot first)") == 5
    assert "idle-0" in html and "&lt;b&gt;support&lt;/b&gt;" in html
    assert "2026-03-14T00:00:00Z" in html and "$2,000.00" in html and "$100.00" in html
    text = render_weekly_text(weekly())
    assert "sagemaker_endpoint idle-4 (search): $1,996.00, delete (snapshot first)" in text
    assert "search: $552.30 (week before $547.05)" in text
