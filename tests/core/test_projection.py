"""Month-end projection on crafted series whose answers are known."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.projection import month_bounds, project_month, weekday_weights

AS_OF = date(2026, 11, 20)  # a Friday; November has 30 days


def series(start: date, end: date, value) -> dict[date, Decimal]:
    days = {}
    day = start
    while day < end:
        days[day] = Decimal(str(value(day)))
        day += timedelta(days=1)
    return days


def test_month_bounds_cover_december_and_february():
    assert month_bounds(date(2026, 12, 31)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert month_bounds(date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 3, 1))


def test_flat_spend_projects_the_daily_amount_times_the_days_and_crosses_on_the_right_day():
    daily = series(date(2026, 10, 1), AS_OF, lambda _d: 50)
    projection = project_month(daily, AS_OF, budget_usd=Decimal(1000))
    assert projection.spent_usd == Decimal("950.00")  # 19 complete days
    assert projection.projected_usd == Decimal("1500.00")
    # 20 days make exactly 1000, not over it; the 21st goes over
    assert projection.crosses_on == date(2026, 11, 21)
    assert projection.over_budget is True
    assert projection.method == "trend"
    assert all(value == Decimal("50.00") for value in projection.forecast.values())


def test_growing_spend_follows_the_trend_not_the_average():
    first = date(2026, 10, 1)
    daily = series(first, AS_OF, lambda d: 10 + (d - first).days)
    projection = project_month(daily, AS_OF)
    # November days are offsets 31..60 from Oct 1: sum of 10 + k
    expected = sum(10 + k for k in range(31, 61))
    assert expected == 1665
    assert projection.projected_usd == Decimal(expected)
    # a plain run-rate of the last 7 days would have said less
    run_rate = sum(10 + k for k in range(31, 50)) + 11 * (sum(10 + k for k in range(43, 50)) / 7)
    assert projection.projected_usd > Decimal(run_rate)
    assert projection.crosses_on is None and projection.budget_usd is None


def test_weekday_heavy_spend_keeps_weekends_cheap():
    def spend(d: date) -> int:
        return 20 if d.weekday() >= 5 else 100

    daily = series(date(2026, 10, 1), AS_OF, spend)
    projection = project_month(daily, AS_OF, budget_usd=Decimal(2000))
    expected = sum(spend(date(2026, 11, d)) for d in range(1, 31))
    assert projection.projected_usd == Decimal(expected)
    assert projection.method == "trend+weekday"
    assert projection.forecast[date(2026, 11, 21)] == Decimal("20.00")  # Saturday
    assert projection.forecast[date(2026, 11, 23)] == Decimal("100.00")  # Monday
    running, crossed = 0, None
    for d in range(1, 31):
        running += spend(date(2026, 11, d))
        if running > 2000:
            crossed = date(2026, 11, d)
            break
    assert projection.crosses_on == crossed
    # a flat run-rate over the same days would have overshot the weekends
    assert projection.projected_usd < Decimal(
        sum(spend(date(2026, 11, d)) for d in range(1, 20)) + 11 * 100
    )


def test_weekday_weights_need_two_weeks_of_history():
    short = sorted(
        series(
            date(2026, 11, 1), date(2026, 11, 14), lambda d: 100 if d.weekday() < 5 else 0
        ).items()
    )
    assert weekday_weights(short) == [Decimal(1)] * 7
    weights = weekday_weights(
        sorted(series(date(2026, 10, 1), AS_OF, lambda d: 100 if d.weekday() < 5 else 0).items())
    )
    assert weights[5] == weights[6] == 0
    assert sum(weights) == 7


def test_a_few_days_give_a_run_rate_and_today_counts_what_it_already_spent():
    daily = {
        date(2026, 11, 1): Decimal(20),
        date(2026, 11, 2): Decimal(30),
        date(2026, 11, 3): Decimal(40),
        date(2026, 11, 4): Decimal(100),
    }
    projection = project_month(daily, date(2026, 11, 4))
    assert projection.method == "run-rate"
    # 90 done; today already 100 (more than the 30 run-rate); 26 more days at 30
    assert projection.spent_usd == Decimal("190.00")
    assert projection.projected_usd == Decimal(90 + 100 + 26 * 30)


def test_no_history_projects_nothing():
    projection = project_month({}, AS_OF, budget_usd=Decimal(10))
    assert (projection.projected_usd, projection.crosses_on, projection.method) == (
        Decimal("0.00"),
        None,
        "no-history",
    )


def test_spend_already_over_budget_crossed_on_a_past_day():
    daily = series(date(2026, 11, 1), AS_OF, lambda _d: 100)
    projection = project_month(daily, AS_OF, budget_usd=Decimal(250))
    assert projection.crosses_on == date(2026, 11, 3)


def test_an_aws_forecast_replaces_the_rest_of_the_month_keeping_the_shape():
    daily = series(date(2026, 10, 1), AS_OF, lambda _d: 50)
    projection = project_month(
        daily, AS_OF, budget_usd=Decimal(1500), aws_remaining_usd=Decimal(1100)
    )
    assert projection.method == "aws-forecast"
    assert projection.own_projected_usd == Decimal("1500.00")
    assert projection.projected_usd == Decimal("2050.00")  # 950 spent + 1100 forecast
    assert projection.forecast[AS_OF] == Decimal("100.00")
    # 950 + 100 a day goes over 1500 on the 6th forecast day
    assert projection.crosses_on == date(2026, 11, 25)
