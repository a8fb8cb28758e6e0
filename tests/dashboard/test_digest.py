"""The weekly digest rendered from a Weekly view model built on fixture data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd

from dashboard.digest import render_weekly_html, render_weekly_text
from dashboard.views.alerts import alerts_frame
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
    text = render_weekly_text(weekly())
    assert "search: $552.30 (week before $547.05)" in text
