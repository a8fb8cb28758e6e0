"""Thin adapters from ``core.queries`` to the DataFrames the pages and the weekly digest show.

Money stays Decimal in these frames (object columns); figures and tables turn it into
floats at the very edge, for plotting and for the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from core.budgets import ALL_SERVICES, period_of
from core.models import Alert
from core.projection import HISTORY_DAYS, month_bounds, project_month
from core.queries import (
    BedrockSlice,
    alert_rows,
    alerts_resolved,
    bedrock_reconciliation,
    bedrock_slices,
    budget_use,
    budgets_for,
    endpoint_window,
    filter_options,
    spend_daily,
    spend_totals,
)
from core.settings import UNATTRIBUTED, IdleEndpointRule, MonitorConfig
from core.timeutil import utcnow
from dashboard.advisor_port import AdvisorFactory
from dashboard.filters import Filters, day_start

EXTENSION = "genai_monitor"
CENT = Decimal("0.01")
ZERO = Decimal(0)
DEFAULT_IDLE_HOURS = Decimal(24)
OPEN_STATES = ("firing", "pending", "silenced")


@dataclass(frozen=True)
class DashboardContext:
    """What every callback needs: sessions on the database, the config and the clock."""

    sessions: sessionmaker[Session]
    config: MonitorConfig
    clock: Callable[[], datetime] = utcnow

    def today(self) -> date:
        """Today's UTC date."""
        return self.clock().date()

    def config_teams(self) -> list[str]:
        """The configured teams plus the unattributed bucket, which must never hide."""
        return sorted({team.name for team in self.config.teams} | {UNATTRIBUTED})

    def idle_threshold_hours(self) -> Decimal:
        """Hours without a call after which an endpoint counts as idle: the idle rule's ``for``, else 24."""
        for rule in self.config.alerts.rules:
            if isinstance(rule, IdleEndpointRule):
                return Decimal(int(rule.for_.total_seconds())) / 3600
        return DEFAULT_IDLE_HOURS


def current_context() -> DashboardContext:
    """The context of the Dash app serving this request."""
    from flask import current_app

    context: DashboardContext = current_app.extensions[EXTENSION]
    return context


def cents(value: Decimal | None) -> Decimal | None:
    """Money rounded to cents for display (None stays None: unknown is not zero)."""
    return None if value is None else value.quantize(CENT)


def options_for(
    context: DashboardContext, session: Session, filters: Filters
) -> tuple[list[str], list[str], list[str]]:
    """Teams, accounts and regions to offer in the filters of a view."""
    start, end = filters.window
    found = filter_options(session, start, end)
    teams = sorted(set(found.teams) | set(context.config_teams()))
    accounts = sorted(set(found.accounts) | {account.id for account in context.config.accounts})
    regions = sorted(set(found.regions) | set(context.config.regions))
    return teams, accounts, regions


# --- Overview ---


@dataclass(frozen=True)
class OverviewData:
    """This month's spend vs budget per team, the window's top models and endpoints, open alerts."""

    month: str
    as_of: date
    month_spent_usd: Decimal
    budgets: pd.DataFrame
    top_models: pd.DataFrame
    top_endpoints: pd.DataFrame
    alerts: pd.DataFrame
    window_spend_usd: Decimal
    window_estimate_usd: Decimal


BUDGET_COLUMNS = [
    "team",
    "spent_usd",
    "projected_usd",
    "budget_usd",
    "used",
    "projected_use",
    "crosses_on",
    "method",
]


def month_budgets(
    session: Session, as_of: date, teams: list[str] | None, accounts: list[str] | None
) -> pd.DataFrame:
    """Per team: billed spend this month to ``as_of``, projected month-end and the budget."""
    month_start, month_end = month_bounds(as_of)
    history = min(month_start, as_of - timedelta(days=HISTORY_DAYS))
    daily: dict[str, dict[date, Decimal]] = {}
    for day, team, amount in spend_daily(
        session, history, min(month_end, as_of + timedelta(days=1)), "team", teams, accounts
    ):
        daily.setdefault(team, {})[day] = amount
    budgets = {
        b.team: b.amount_usd
        for b in budgets_for(session, period_of(as_of))
        if b.service == ALL_SERVICES
    }
    if teams:
        budgets = {team: amount for team, amount in budgets.items() if team in teams}
    rows = []
    for team in sorted(set(daily) | set(budgets)):
        budget = budgets.get(team)
        projection = project_month(daily.get(team, {}), as_of, budget)
        used = (projection.spent_usd / budget).quantize(Decimal("0.0001")) if budget else None
        projected_use = (
            (projection.projected_usd / budget).quantize(Decimal("0.0001")) if budget else None
        )
        rows.append(
            [
                team,
                projection.spent_usd,
                projection.projected_usd,
                cents(budget),
                used,
                projected_use,
                projection.crosses_on,
                projection.method,
            ]
        )
    frame = pd.DataFrame(rows, columns=BUDGET_COLUMNS)
    return (
        frame.sort_values(["projected_usd", "team"], ascending=[False, True], ignore_index=True)
        if rows
        else frame
    )


MODEL_COLUMNS = [
    "model",
    "invocations",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "client_errors",
    "server_errors",
    "throttles",
    "estimated_cost_usd",
    "unpriced_hours",
]


def bedrock_totals_frame(session: Session, filters: Filters, by: str = "model") -> pd.DataFrame:
    """Bedrock usage over the window summed per ``by``, costliest first."""
    start, end = filters.window
    slices = bedrock_slices(
        session,
        start,
        end,
        by,
        False,
        filters.team_list(),
        filters.account_list(),
        filters.region_list(),
    )
    rows = [
        [
            s.key,
            s.invocations,
            s.input_tokens,
            s.output_tokens,
            s.cache_read_tokens,
            s.cache_write_tokens,
            s.client_errors,
            s.server_errors,
            s.throttles,
            cents(s.estimated_cost_usd),
            s.unpriced_hours,
        ]
        for s in slices
    ]
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


ENDPOINT_COLUMNS = [
    "endpoint_name",
    "team",
    "account_id",
    "region",
    "status",
    "endpoint_type",
    "instance_type",
    "instance_count",
    "hours_in_service",
    "idle_hours",
    "last_invocation_at",
    "invocations",
    "estimated_cost_usd",
    "idle_cost_usd",
    "idle",
]


def endpoints_frame(session: Session, filters: Filters, idle_threshold: Decimal) -> pd.DataFrame:
    """Every endpoint alive in the window with its hours, calls, cost and idle streak (as of the window's end)."""
    start, end = filters.window
    summaries = endpoint_window(
        session, start, end, filters.team_list(), filters.account_list(), filters.region_list()
    )
    rows = [
        [
            s.endpoint_name,
            s.team,
            s.account_id,
            s.region,
            s.status,
            s.endpoint_type,
            s.instance_type,
            s.instance_count,
            s.hours_in_service.quantize(CENT),
            None if s.idle_hours is None else s.idle_hours.quantize(CENT),
            s.last_invocation_at,
            s.invocations,
            cents(s.estimated_cost_usd),
            cents(s.idle_cost_usd),
            s.deleted_at is None and s.idle_hours is not None and s.idle_hours >= idle_threshold,
        ]
        for s in summaries
    ]
    return pd.DataFrame(rows, columns=ENDPOINT_COLUMNS)


ALERT_COLUMNS = [
    "id",
    "state",
    "severity",
    "rule",
    "team",
    "subject",
    "opened_at",
    "fired_at",
    "resolved_at",
    "silenced_until",
    "message",
]


def alerts_frame(alerts: list[Alert], teams: list[str] | None = None) -> pd.DataFrame:
    """Alert episodes as rows (only ``teams``' when given)."""
    rows = [
        [
            a.id,
            a.state,
            a.severity,
            a.rule,
            a.team,
            a.subject,
            a.opened_at,
            a.fired_at,
            a.resolved_at,
            a.silenced_until,
            a.message,
        ]
        for a in alerts
        if not teams or a.team in teams
    ]
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


def overview_data(context: DashboardContext, session: Session, filters: Filters) -> OverviewData:
    """Everything the Overview page shows for these filters."""
    as_of = min(filters.end, context.today())
    teams, accounts = filters.team_list(), filters.account_list()
    budgets = month_budgets(session, as_of, teams, accounts)
    models = bedrock_totals_frame(session, filters)
    endpoints = endpoints_frame(session, filters, context.idle_threshold_hours())
    if not endpoints.empty:
        endpoints = endpoints.sort_values(
            "estimated_cost_usd",
            ascending=False,
            key=lambda c: c.map(lambda v: v if v is not None else ZERO),
            ignore_index=True,
        ).head(10)
    first, after = filters.day_range
    spend = sum(spend_totals(session, first, after, "team", teams, accounts).values(), ZERO)
    # the exact month total, not a sum of per-team amounts already rounded to cents
    month_spent = sum(
        spend_totals(
            session, as_of.replace(day=1), as_of + timedelta(days=1), "team", teams, accounts
        ).values(),
        ZERO,
    )
    estimate = sum((v for v in models["estimated_cost_usd"] if v is not None), ZERO)
    return OverviewData(
        month=period_of(as_of),
        as_of=as_of,
        month_spent_usd=cents(month_spent) or ZERO,
        budgets=budgets,
        top_models=models.head(10),
        top_endpoints=endpoints,
        alerts=alerts_frame(alert_rows(session, ["firing", "pending"]), teams),
        window_spend_usd=cents(spend) or ZERO,
        window_estimate_usd=cents(estimate) or ZERO,
    )


# --- Teams ---


@dataclass(frozen=True)
class TeamData:
    """One team: spend by service and Bedrock cost by model per day, budget burn-down, endpoints."""

    team: str
    spend_by_service: pd.DataFrame
    cost_by_model: pd.DataFrame
    burn_down: pd.DataFrame
    budget_usd: Decimal | None
    projected_usd: Decimal | None
    endpoints: pd.DataFrame
    spend_usd: Decimal
    idle_waste_usd: Decimal


def daily_frame(rows: list[tuple[date, str, Decimal]], key: str) -> pd.DataFrame:
    """(day, key, amount) rows as a frame with columns day, <key>, amount_usd."""
    return pd.DataFrame(
        [[day, name, cents(amount)] for day, name, amount in rows],
        columns=["day", key, "amount_usd"],
    )


def burn_down_frame(
    daily: dict[date, Decimal], as_of: date, budget: Decimal | None
) -> tuple[pd.DataFrame, Decimal]:
    """Cumulative spend of the month of ``as_of``: actual to date, then the projection; and the projected total."""
    month_start, month_end = month_bounds(as_of)
    projection = project_month(daily, as_of, budget)
    rows, running = [], ZERO
    day = month_start
    while day < month_end:
        # today is still open: it counts with the projection (at least what it has spent)
        if day < as_of:
            running += daily.get(day, ZERO)
        else:
            running += projection.forecast.get(day, ZERO)
        rows.append([day, cents(running), "actual" if day < as_of else "projected"])
        day += timedelta(days=1)
    return pd.DataFrame(rows, columns=["day", "cumulative_usd", "kind"]), projection.projected_usd


def team_data(context: DashboardContext, session: Session, filters: Filters, team: str) -> TeamData:
    """Everything the Teams page shows for one team."""
    first, after = filters.day_range
    accounts = filters.account_list()
    by_service = spend_daily(session, first, after, "service", [team], accounts)
    start, end = filters.window
    models = bedrock_slices(
        session, start, end, "model", True, [team], accounts, filters.region_list()
    )
    cost_by_model = pd.DataFrame(
        [[s.day, s.key, cents(s.estimated_cost_usd)] for s in models],
        columns=["day", "model", "amount_usd"],
    )
    as_of = min(filters.end, context.today())
    month_start, _month_end = month_bounds(as_of)
    history = min(month_start, as_of - timedelta(days=HISTORY_DAYS))
    daily = {
        day: amount
        for day, _team, amount in spend_daily(
            session, history, as_of + timedelta(days=1), "team", [team], accounts
        )
    }
    budget = next(
        (
            b.amount_usd
            for b in budgets_for(session, period_of(as_of))
            if b.team == team and b.service == ALL_SERVICES
        ),
        None,
    )
    burn, projected = burn_down_frame(daily, as_of, budget)
    endpoints = endpoints_frame(session, filters, context.idle_threshold_hours())
    idle_waste = sum(
        (
            v
            for v, idle in zip(endpoints["idle_cost_usd"], endpoints["idle"], strict=True)
            if idle and v is not None
        ),
        ZERO,
    )
    return TeamData(
        team=team,
        spend_by_service=daily_frame(by_service, "service"),
        cost_by_model=cost_by_model,
        burn_down=burn,
        budget_usd=cents(budget),
        projected_usd=projected if daily or budget else None,
        endpoints=endpoints,
        spend_usd=cents(sum((amount for _d, _s, amount in by_service), ZERO)) or ZERO,
        idle_waste_usd=cents(idle_waste) or ZERO,
    )


# --- Bedrock ---


@dataclass(frozen=True)
class BedrockData:
    """Bedrock usage per day and key, totals per key, and the estimate next to the bill per day."""

    by: str
    daily: pd.DataFrame
    totals: pd.DataFrame
    reconciliation: pd.DataFrame


DAILY_COLUMNS = [
    "day",
    "key",
    "invocations",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "client_errors",
    "server_errors",
    "throttles",
    "estimated_cost_usd",
]


def totals_from_daily(slices: list[BedrockSlice]) -> pd.DataFrame:
    """Per-day slices folded into one row per key, costliest first (saves a second pass over the hours)."""
    folded: dict[str, list[Any]] = {}
    for s in slices:
        row = folded.setdefault(s.key, [s.key, 0, 0, 0, 0, 0, 0, 0, 0, ZERO, 0])
        for index, value in enumerate(
            (
                s.invocations,
                s.input_tokens,
                s.output_tokens,
                s.cache_read_tokens,
                s.cache_write_tokens,
                s.client_errors,
                s.server_errors,
                s.throttles,
                s.estimated_cost_usd,
                s.unpriced_hours,
            ),
            start=1,
        ):
            row[index] += value
    rows = sorted(folded.values(), key=lambda row: (-row[9], row[0]))
    for row in rows:
        row[9] = cents(row[9])
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def bedrock_data(session: Session, filters: Filters, by: str) -> BedrockData:
    """Everything the Bedrock page shows for these filters, grouped by ``by``."""
    start, end = filters.window
    teams, accounts, regions = filters.team_list(), filters.account_list(), filters.region_list()
    slices = bedrock_slices(session, start, end, by, True, teams, accounts, regions)
    daily = pd.DataFrame(
        [
            [
                s.day,
                s.key,
                s.invocations,
                s.input_tokens,
                s.output_tokens,
                s.cache_read_tokens,
                s.cache_write_tokens,
                s.client_errors,
                s.server_errors,
                s.throttles,
                s.estimated_cost_usd,
            ]
            for s in slices
        ],
        columns=DAILY_COLUMNS,
    )
    totals = totals_from_daily(slices)
    first, after = filters.day_range
    # the bill has no region: a region filter would make estimate and bill incomparable
    reconciled: dict[date, list[Decimal]] = {}
    if not regions and not accounts:
        for row in bedrock_reconciliation(session, first, after):
            if teams and row.team not in teams:
                continue
            pair = reconciled.setdefault(row.day, [ZERO, ZERO])
            pair[0] += row.estimated_usd
            pair[1] += row.billed_usd
    reconciliation = pd.DataFrame(
        [
            [day, cents(estimated), cents(billed), cents(billed - estimated)]
            for day, (estimated, billed) in sorted(reconciled.items())
        ],
        columns=["day", "estimated_usd", "billed_usd", "gap_usd"],
    )
    return BedrockData(by, daily, totals, reconciliation)


# --- Weekly ---


def iso_week(day: date) -> str:
    """The ISO week of a day, as ``YYYY-Www``."""
    year, week, _weekday = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_monday(text: str) -> date:
    """The Monday of an ISO week given as ``YYYY-Www``; ValueError otherwise."""
    try:
        year, week = text.strip().upper().split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
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

    @property
    def total_this_week(self) -> Decimal:
        """Billed spend of every team shown, this week."""
        return sum(self.teams["this_week_usd"], ZERO)

    @property
    def total_last_week(self) -> Decimal:
        """Billed spend of every team shown, the week before."""
        return sum(self.teams["last_week_usd"], ZERO)


COMPARE_COLUMNS = ["this_week_usd", "last_week_usd", "change_usd", "change"]


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


def weekly_data(
    session: Session,
    week_start: date,
    now: datetime,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> WeeklyData:
    """The week starting ``week_start`` (to date, if it is the current one) against the same span a week before.

    The bill compares whole days (today's included); the Bedrock estimate, hourly, compares up to
    the same hour. ``regions`` narrows the Bedrock models only: the bill has no region.
    """
    today = now.date()
    end = min(week_start + timedelta(days=7), today + timedelta(days=1))
    end = max(end, week_start + timedelta(days=1))
    previous_start, previous_end = week_start - timedelta(days=7), end - timedelta(days=7)
    spend_now = spend_totals(session, week_start, end, "team", teams, accounts)
    spend_before = spend_totals(session, previous_start, previous_end, "team", teams, accounts)
    hours_end = min(day_start(end), max(now, day_start(week_start)))
    week = timedelta(days=7)
    models_now = {
        s.key: s.estimated_cost_usd
        for s in bedrock_slices(
            session, day_start(week_start), hours_end, "model", False, teams, accounts, regions
        )
    }
    models_before = {
        s.key: s.estimated_cost_usd
        for s in bedrock_slices(
            session,
            day_start(week_start) - week,
            hours_end - week,
            "model",
            False,
            teams,
            accounts,
            regions,
        )
    }
    team_frame = compare_frame(spend_now, spend_before, "team")
    model_frame = compare_frame(models_now, models_before, "model")
    status_day = end - timedelta(days=1)
    uses = budget_use(session, day_start(status_day) + timedelta(hours=23, minutes=59))
    budgets = pd.DataFrame(
        [
            [
                u.team,
                u.service,
                cents(u.budget_usd),
                u.spent_usd,
                u.used,
                u.projection.projected_usd,
                u.projected_use,
                budget_status(u.used, u.projected_use),
            ]
            for u in uses
            if not teams or u.team in teams
        ],
        columns=[
            "team",
            "service",
            "budget_usd",
            "spent_usd",
            "used",
            "projected_usd",
            "projected_use",
            "status",
        ],
    )
    opened = alert_rows(session, None, day_start(week_start), day_start(end))
    return WeeklyData(
        week=iso_week(week_start),
        start=week_start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        complete=end == week_start + timedelta(days=7),
        teams=team_frame,
        models=model_frame,
        movers=movers_frame(team_frame, model_frame),
        budgets=budgets,
        new_alerts=alerts_frame(opened, teams),
        resolved_alerts=alerts_frame(
            alerts_resolved(session, day_start(week_start), day_start(end)), teams
        ),
    )


def budget_status(used: Decimal | None, projected_use: Decimal | None) -> str:
    """A word for a budget: over, at risk (projected over), or on track."""
    if used is not None and used > 1:
        return "over"
    if projected_use is not None and projected_use > 1:
        return "at risk"
    return "on track"


# --- Alerts ---


@dataclass(frozen=True)
class AlertsData:
    """Open alerts by state, and those resolved in the window."""

    firing: pd.DataFrame
    pending: pd.DataFrame
    silenced: pd.DataFrame
    resolved: pd.DataFrame


def alerts_data(session: Session, filters: Filters) -> AlertsData:
    """Everything the Alerts page shows for these filters."""
    teams = filters.team_list()
    open_alerts = alert_rows(session, list(OPEN_STATES))
    start, end = filters.window
    return AlertsData(
        firing=alerts_frame([a for a in open_alerts if a.state == "firing"], teams),
        pending=alerts_frame([a for a in open_alerts if a.state == "pending"], teams),
        silenced=alerts_frame([a for a in open_alerts if a.state == "silenced"], teams),
        resolved=alerts_frame(alerts_resolved(session, start, end), teams),
    )


def as_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as plain dicts."""
    return frame.to_dict("records")  # type: ignore[return-value]


@dataclass(frozen=True)
class AdvisorData:
    """The advisor's answers for the days shown: one row per workload, per hint, per assumption."""

    workloads: pd.DataFrame
    hints: pd.DataFrame
    assumptions: pd.DataFrame

    @property
    def monthly_saving(self) -> Decimal:
        """The best hint per endpoint (hints are alternatives) plus the cheaper self-hosted workloads, a month."""
        hinted = (
            sum(self.hints.groupby("endpoint_name")["monthly_saving_usd"].max(), ZERO)
            if not self.hints.empty
            else ZERO
        )
        hosted = (
            sum(self.workloads["self_hosted_saving_usd"], ZERO)
            if not self.workloads.empty
            else ZERO
        )
        return hinted + hosted


def _assumption_refs(assumptions: list[Any], register: dict[tuple[str, str, str], int]) -> str:
    """Numbers like "A1, A4" pointing into the assumptions table, registering new ones."""
    refs = []
    for item in assumptions:
        key = (item.name, item.value, item.source)
        register.setdefault(key, len(register) + 1)
        refs.append(f"A{register[key]}")
    return ", ".join(refs)


def advisor_data(
    session: Session, filters: Filters, config: MonitorConfig, make_advisor: AdvisorFactory
) -> AdvisorData:
    """Break-even per Bedrock workload and hints per endpoint over the days shown, with their assumptions."""
    from core.pricing import PriceCatalog
    from core.queries import endpoint_usage, model_usage

    start, end = filters.window
    advisor = make_advisor(config.advisor, PriceCatalog.load(config.pricing.overrides))

    def chosen(team: str, region: str, account: str | None = None) -> bool:
        return (
            (not filters.teams or team in filters.teams)
            and (not filters.regions or region in filters.regions)
            and (account is None or not filters.accounts or account in filters.accounts)
        )

    register: dict[tuple[str, str, str], int] = {}
    workloads = []
    for usage in model_usage(session, start, end):
        if not chosen(usage.team, usage.region):
            continue
        result = advisor.break_even(usage)
        saving = ZERO
        if result.bedrock_monthly_usd is not None and result.self_hosted_monthly_usd is not None:
            saving = max(ZERO, result.bedrock_monthly_usd - result.self_hosted_monthly_usd)
        workloads.append(
            {
                "team": result.team,
                "model_id": result.model_id,
                "region": result.region,
                "tokens_per_month": int(result.tokens_per_month),
                "bedrock_usd_per_month": result.bedrock_monthly_usd,
                "self_hosted_on": f"{result.instances} x {result.self_hosted.instance_type}"
                if result.self_hosted
                else "",
                "self_hosted_usd_per_month": result.self_hosted_monthly_usd,
                "breakeven_tokens_per_month": None
                if result.breakeven_tokens_per_month is None
                else int(result.breakeven_tokens_per_month),
                "self_hosted_saving_usd": saving,
                "verdict": result.verdict,
                "assumptions": _assumption_refs(result.assumptions, register),
            }
        )
    hints = []
    for usage in endpoint_usage(session, start, end):
        if not chosen(usage.team, usage.region, usage.account_id):
            continue
        for hint in advisor.hints(usage):
            hints.append(
                {
                    "team": hint.team,
                    "endpoint_name": hint.endpoint_name,
                    "kind": hint.kind,
                    "suggestion": hint.suggestion,
                    "monthly_saving_usd": hint.monthly_saving_usd,
                    "assumptions": _assumption_refs(hint.assumptions, register),
                }
            )
    assumptions = [
        {"ref": f"A{number}", "assumption": name, "value": value, "source": source}
        for (name, value, source), number in register.items()
    ]
    order = ["team", "model_id", "region"]
    workload_frame = pd.DataFrame(workloads).sort_values(order) if workloads else pd.DataFrame()
    hint_frame = (
        pd.DataFrame(hints).sort_values("monthly_saving_usd", ascending=False)
        if hints
        else pd.DataFrame()
    )
    return AdvisorData(workload_frame, hint_frame, pd.DataFrame(assumptions))
