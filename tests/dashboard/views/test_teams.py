"""The Teams view model's pure parts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.projection import project_month
from dashboard.figures import burn_down_figure
from dashboard.views.teams import burn_down_frame

TODAY = date(2026, 3, 18)
D = Decimal


def test_burn_down_is_actual_then_projected_against_the_budget():
    daily = {date(2026, 3, 1) + timedelta(days=n): D("10") for n in range(17)}
    projection = project_month(daily, TODAY, D("500"))
    burn = burn_down_frame(daily, projection)
    assert len(burn) == 31 and list(burn["kind"]).count("actual") == 17
    assert burn["cumulative_usd"].iloc[16] == D("170.00")
    assert (
        burn["cumulative_usd"].iloc[-1] == projection.projected_usd == D("310.00")
    )  # a flat $10 a day
    figure = burn_down_figure(burn, D("500"), "search")
    names = [trace.name for trace in figure.data]
    assert names == ["actual", "projected", "budget"]
    assert list(figure.data[2].y) == [500.0, 500.0]
    # the projected line starts where the actual one ends
    assert figure.data[1].x[0] == figure.data[0].x[-1]
