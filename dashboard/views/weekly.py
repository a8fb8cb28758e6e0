"""The Weekly page's view model (also the weekly digest's): one ISO week against the week before."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy.orm import Session

from core.queries.alerts import alert_rows, alerts_resolved
from core.queries.bedrock import bedrock_slices
from core.queries.budgets import budget_use
from core.queries.costs import spend_totals
from core.queries.savings import saved_in_month
from core.queries.waste import UnderUse, WasteScope, waste_rows
from dashboard.context import ZERO, cents
from dashboard.filters import day_start
from dashboard.views.alerts import alerts_frame
from dashboard.views.waste import waste_frame

TOP_WASTE = 5
COMPARE_COLUMNS = ["this_week_usd", "last_week_usd", "change_usd", "change"]
BUDGET_COLUMNS = [
    "team",
    "service",
    "budget_usd",
    "spent_usd",
    "used",
    "projected_usd",
    "projected_use",
    "status",
]


def iso_week(day: date) -> str:
    """The ISO week of a day, as ``YYYY-Www``."""
    year, week, _weekday = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_monday(text: str) -> date:
    """The Monday of an ISO week given as ``YYYY-Www``; ValueError otherwise."""
    try:
        year, week = text.strip().upper().split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except (ValueError, OverflowError):
        raise ValueError(f"expected an ISO week like 2026-W07, got {text!r}") from None


@dataclass(frozen=True)
class WeeklyData:
    """The managers' view of one ISO week against the same days of the week before."""

    week: str
    start: date
    end: date
    previous_start: date
    previous_end: date
    complete: bool
    teams: pd.DataFrame
    models: pd.DataFrame
    movers: pd.DataFrame
    budgets: pd.DataFrame
    new_alerts: pd.DataFrame
    resolved_alerts: pd.DataFrame
    # the five idle resources costing most a month, as of the week's end (or now)
    waste: pd.DataFrame = field(default_factory=lambda: waste_frame([]))
    # the month of the week's last day: billed so far, and saved by stopped waste so far
    month: str = ""
    month_spent_usd: Decimal = ZERO
    month_saved_usd: Decimal = ZERO

    @property
    def total_this_week(self) -> Decimal:
        """Billed spend of every team shown, this week."""
        return sum(self.teams["this_week_usd"], ZERO)

    @property
    def total_last_week(self) -> Decimal:
        """Billed spend of every team shown, the week before."""
        return sum(self.teams["last_week_usd"], ZERO)


def compare_frame(
    this_week: dict[str, Decimal], last_week: dict[str, Decimal], key: str
) -> pd.DataFrame:
    """Two periods side by side per key, the biggest spender first; change as a ratio (None from zero)."""
    rows = []
    for name in sorted(set(this_week) | set(last_week)):
        now, before = (
            cents(this_week.get(name, ZERO)) or ZERO,
            cents(last_week.get(name, ZERO)) or ZERO,
        )
        change = ((now - before) / before).quantize(Decimal("0.0001")) if before else None
        rows.append([name, now, before, now - before, change])
    frame = pd.DataFrame(rows, columns=[key, *COMPARE_COLUMNS])
    return (
        frame.sort_values(["this_week_usd", key], ascending=[False, True], ignore_index=True)
        if rows
        else frame
    )


def movers_frame(teams: pd.DataFrame, models: pd.DataFrame, limit: int = 5) -> pd.DataFrame:
    """The teams and models whose spend moved most, either way, in dollars."""
    rows = [
        ["team", r.team, r.this_week_usd, r.last_week_usd, r.change_usd, r.change]
        for r in teams.itertuples()
    ]
    rows += [
        ["model", r.model, r.this_week_usd, r.last_week_usd, r.change_usd, r.change]
        for r in models.itertuples()
    ]
    rows = [row for row in rows if row[4] != 0]
    rows.sort(key=lambda row: (-abs(row[4]), row[0], row[1]))
    return pd.DataFrame(rows[:limit], columns=["kind", "name", *COMPARE_COLUMNS])


def budgets_frame(session: Session, status_day: date, teams: list[str] | None) -> pd.DataFrame:
    """Every budget of the month of ``status_day`` as it stood at that day's end."""
    uses = budget_use(session, day_start(status_day) + timedelta(hours=23, minutes=59), teams=teams)
    rows = [
        [
            u.team,
            u.service,
            cents(u.budget_usd),
            u.spent_usd,
            u.used,
            u.projection.projected_usd,
            u.projected_use,
            u.status,
        ]
        for u in uses
    ]
    return pd.DataFrame(rows, columns=BUDGET_COLUMNS)


def weekly_data(
    session: Session,
    week_start: date,
    now: datetime,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    min_idle: Mapping[str, timedelta] | None = None,
    under: UnderUse | None = None,
) -> WeeklyData:
    """The week starting ``week_start`` (to date, if it is the current one) against the same span a week before.

    The bill compares whole days (today's included); the Bedrock estimate, hourly, compares up to
    the same hour. ``regions`` narrows the Bedrock models only: the bill has no region.
    """
    end = min(week_start + timedelta(days=7), now.date() + timedelta(days=1))
    end = max(end, week_start + timedelta(days=1))
    week = timedelta(days=7)
    previous_start, previous_end = week_start - week, end - week
    spend_now = spend_totals(session, week_start, end, "team", teams, accounts)
    spend_before = spend_totals(session, previous_start, previous_end, "team", teams, accounts)
    hours_start = day_start(week_start)
    hours_end = min(day_start(end), max(now, hours_start))

    def model_costs(shift: timedelta) -> dict[str, Decimal]:
        slices = bedrock_slices(
            session,
            hours_start - shift,
            hours_end - shift,
            "model",
            False,
            teams,
            accounts,
            regions,
        )
        return {s.key: s.estimated_cost_usd for s in slices}

    team_frame = compare_frame(spend_now, spend_before, "team")
    model_frame = compare_frame(model_costs(timedelta(0)), model_costs(week), "model")
    opened = alert_rows(session, None, hours_start, day_start(end), teams)
    scope = WasteScope(
        hours_end, teams, accounts, regions, min_idle or {}, under_use=under or UnderUse()
    )
    month_first = (end - timedelta(days=1)).replace(day=1)
    month_spent = spend_totals(session, month_first, end, "team", teams, accounts)
    month = f"{month_first:%Y-%m}"
    saved = saved_in_month(session, month, min(day_start(end), now), teams, accounts)
    return WeeklyData(
        week=iso_week(week_start),
        start=week_start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        complete=end == week_start + week,
        teams=team_frame,
        models=model_frame,
        movers=movers_frame(team_frame, model_frame),
        budgets=budgets_frame(session, end - timedelta(days=1), teams),
        new_alerts=alerts_frame(opened),
        resolved_alerts=alerts_frame(alerts_resolved(session, hours_start, day_start(end), teams)),
        waste=waste_frame(waste_rows(session, scope)[:TOP_WASTE]),
        month=month,
        month_spent_usd=cents(sum(month_spent.values(), ZERO)) or ZERO,
        month_saved_usd=cents(saved) or ZERO,
    )
