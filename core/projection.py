"""Month-end spend projection from daily spend: a pure function, no I/O.

The model, in three steps over the complete days before ``as_of`` (today is still open):

1. Weekday profile. With at least two weeks of history (the last 28 days, last month
   included), each day's spend is divided by its centred 7-day moving average; the mean ratio
   per weekday, normalised to average 1, is that weekday's weight. A centred average of a
   straight line is the line itself, so a steady trend leaves every weight at 1, while a
   weekday-heavy team gets weights like 1.3 on weekdays and 0.3 at weekends. With less
   history every weight is 1.
2. Level and trend. The last 14 days, divided by their weekday weight, are fitted with a
   least-squares line (with fewer than 7 days, their mean: a plain run-rate).
3. Forecast. Each remaining day of the month is the line's value on that day (never below
   zero) times its weekday weight; today counts at least what it has already spent.

Where AWS's own forecast (GetCostForecast) for the rest of the month is given, it replaces
the total of step 3, keeping step 3's day-by-day shape for the date the budget is crossed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

HISTORY_DAYS = 28
TREND_DAYS = 14
MIN_PROFILE_DAYS = 14
MIN_TREND_DAYS = 7
CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Projection:
    """One series' month: spent so far, projected month-end total, and when a budget is crossed."""

    month_start: date
    as_of: date
    spent_usd: Decimal
    projected_usd: Decimal
    own_projected_usd: Decimal
    aws_forecast_usd: Decimal | None
    method: str
    budget_usd: Decimal | None = None
    crosses_on: date | None = None
    forecast: dict[date, Decimal] = field(default_factory=dict)

    @property
    def over_budget(self) -> bool | None:
        """Whether the projected month-end total exceeds the budget (None without a budget)."""
        if self.budget_usd is None:
            return None
        return self.projected_usd > self.budget_usd

    @property
    def used(self) -> Decimal | None:
        """Spend so far as a share of the budget (None without a budget or with a zero one)."""
        return _share(self.spent_usd, self.budget_usd)

    @property
    def projected_use(self) -> Decimal | None:
        """Projected month-end spend as a share of the budget (None without a budget or with a zero one)."""
        return _share(self.projected_usd, self.budget_usd)


def _share(amount: Decimal, budget: Decimal | None) -> Decimal | None:
    """``amount`` as a share of ``budget``, to four places; None without a positive budget."""
    if budget is None or budget <= 0:
        return None
    return (amount / budget).quantize(Decimal("0.0001"))


def month_bounds(day: date) -> tuple[date, date]:
    """The first day of the month of ``day`` and the first day of the next month."""
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def weekday_weights(series: list[tuple[date, Decimal]]) -> list[Decimal]:
    """Seven weights (Monday first) averaging 1; all 1 without two weeks of history."""
    flat = [Decimal(1)] * 7
    if len(series) < MIN_PROFILE_DAYS:
        return flat
    ratios: list[list[Decimal]] = [[] for _ in range(7)]
    for index in range(3, len(series) - 3):
        average = sum((value for _day, value in series[index - 3 : index + 4]), ZERO) / 7
        if average > 0:
            day, value = series[index]
            ratios[day.weekday()].append(value / average)
    if any(not found for found in ratios):
        return flat
    means = [sum(found, ZERO) / len(found) for found in ratios]
    total = sum(means, ZERO)
    if total <= 0:
        return flat
    return [mean * 7 / total for mean in means]


def _line(points: list[tuple[int, Decimal]]) -> tuple[Decimal, Decimal]:
    """Intercept and slope of the least-squares line through (t, y); flat below 7 points."""
    if not points:
        return ZERO, ZERO
    count = Decimal(len(points))
    mean_y = sum((y for _t, y in points), ZERO) / count
    if len(points) < MIN_TREND_DAYS:
        return mean_y, ZERO
    mean_t = Decimal(sum(t for t, _y in points)) / count
    spread = sum(((Decimal(t) - mean_t) ** 2 for t, _y in points), ZERO)
    if spread == 0:
        return mean_y, ZERO
    slope = sum(((Decimal(t) - mean_t) * (y - mean_y) for t, y in points), ZERO) / spread
    return mean_y - slope * mean_t, slope


def history_start(as_of: date) -> date:
    """The first day a projection of the month of ``as_of`` reads: the month's start or 28 days back."""
    return min(as_of.replace(day=1), as_of - timedelta(days=HISTORY_DAYS))


def project_month(
    daily: Mapping[date, Decimal],
    as_of: date,
    budget_usd: Decimal | None = None,
    aws_remaining_usd: Decimal | None = None,
) -> Projection:
    """Project the month of ``as_of`` to its end from daily spend (days before ``as_of`` complete).

    ``daily`` may hold days of earlier months (they feed the weekday profile and the trend); a
    day missing between the first known day and ``as_of`` spent nothing.
    """
    month_start, month_end = month_bounds(as_of)
    series = _history(daily, as_of)
    weights = weekday_weights(series)
    forecast, method = _forecast(series, weights, as_of, month_end)
    today_spent = daily.get(as_of, ZERO)
    forecast[as_of] = max(forecast[as_of], today_spent)

    complete = sum((value for day, value in daily.items() if month_start <= day < as_of), ZERO)
    own_total = complete + sum(forecast.values(), ZERO)
    projected = own_total
    if aws_remaining_usd is not None:
        remaining = max(aws_remaining_usd, today_spent)
        forecast = _rescale(forecast, remaining)
        projected = complete + remaining
        method = "aws-forecast"

    return Projection(
        month_start=month_start,
        as_of=as_of,
        spent_usd=_cents(complete + today_spent),
        projected_usd=_cents(projected),
        own_projected_usd=_cents(own_total),
        aws_forecast_usd=None if aws_remaining_usd is None else _cents(aws_remaining_usd),
        method=method,
        budget_usd=budget_usd,
        crosses_on=_crossing(daily, forecast, as_of, budget_usd),
        forecast={day: _cents(value) for day, value in forecast.items()},
    )


def _history(daily: Mapping[date, Decimal], as_of: date) -> list[tuple[date, Decimal]]:
    """The complete days before ``as_of`` (at most HISTORY_DAYS), a missing day spending nothing."""
    known = [day for day in daily if day < as_of]
    first = max(as_of - timedelta(days=HISTORY_DAYS), min(known)) if known else as_of
    return [
        (first + timedelta(days=i), daily.get(first + timedelta(days=i), ZERO))
        for i in range((as_of - first).days)
    ]


def _forecast(
    series: list[tuple[date, Decimal]], weights: list[Decimal], as_of: date, month_end: date
) -> tuple[dict[date, Decimal], str]:
    """Each day from ``as_of`` to the month's end on the fitted line times its weekday weight, and the method."""
    recent = series[-TREND_DAYS:]
    points = [
        ((day - as_of).days, value / weights[day.weekday()])
        for day, value in recent
        if weights[day.weekday()] > 0
    ]
    intercept, slope = _line(points)
    if len(points) < MIN_TREND_DAYS:
        method = "run-rate" if points else "no-history"
    else:
        method = "trend+weekday" if any(weight != 1 for weight in weights) else "trend"
    forecast: dict[date, Decimal] = {}
    day = as_of
    while day < month_end:
        level = max(ZERO, intercept + slope * (day - as_of).days)
        forecast[day] = level * weights[day.weekday()]
        day += timedelta(days=1)
    return forecast, method


def _crossing(
    daily: Mapping[date, Decimal],
    forecast: Mapping[date, Decimal],
    as_of: date,
    budget_usd: Decimal | None,
) -> date | None:
    """The first day the month's running total (actual, then forecast) exceeds the budget."""
    if budget_usd is None:
        return None
    month_start, month_end = month_bounds(as_of)
    running = ZERO
    day = month_start
    while day < month_end:
        running += forecast[day] if day >= as_of else daily.get(day, ZERO)
        if running > budget_usd:
            return day
        day += timedelta(days=1)
    return None


def _rescale(forecast: dict[date, Decimal], total: Decimal) -> dict[date, Decimal]:
    """The same day-by-day shape, scaled to sum to ``total`` (evenly spread if it had none)."""
    current = sum(forecast.values(), ZERO)
    if current > 0:
        return {day: value * total / current for day, value in forecast.items()}
    share = total / len(forecast)
    return dict.fromkeys(forecast, share)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)
