"""Cost Explorer spend: daily GetCostAndUsage per account, GenAI service, usage type and team -> cost_daily.

get (GetCostAndUsage pages, paged by NextPageToken, as answered) -> transform (pure, in
``cost_explorer_rows``) -> load (cleanup + upsert).

GetCostAndUsage takes at most two GroupBy keys, and the line we store has four dimensions
(account, service, usage group, team). The plan, per target (one per account: Cost Explorer is
global):

1. ``prepare``, once per cycle: MONTHLY over the whole range, GroupBy SERVICE x LINKED_ACCOUNT,
   unfiltered. It says which accounts this target sees (a payer sees every linked account)
   and which GenAI services have spend in each month, Marketplace model services included,
   whose names cannot be filtered on ahead of time (SERVICE filters match whole names only).
2. ``fetch``, per window and per (account, GenAI service) with spend in the window's months:
   DAILY, Filter LINKED_ACCOUNT = account AND SERVICE = service, GroupBy USAGE_TYPE x TAG.
   That is service x usage type x team x account, exact. Grouping by USAGE_TYPE alone is
   not enough: every Marketplace model bills under the same usage types (``MP:...``).

3. per window and per ``attribution.principal_tag_keys`` key, when the window has Bedrock spend:
   DAILY, GroupBy LINKED_ACCOUNT x TAG ``iamPrincipal/<key>`` (``cost_explorer_principals``),
   the caller's team beside the resource tag's -> cost_principal_tag_daily.

So a cycle costs 1 + windows x ((account, service) pairs + principal tag keys) requests (plus
extra pages), whatever the stored history: a regular cycle reads only the days that can still
change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Self, cast

from pydantic import Field, model_validator
from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from collector.cost_explorer_principals import principal_request, principal_rows
from collector.cost_explorer_rows import (
    CostLine,
    MonthPairs,
    months_with_spend,
    parse_page,
    transform,
    usage_rows,
)
from collector.cur_settings import BillingSettings
from collector.runner import Window
from core.aws import ClientFactoryFn, Target, pages
from core.budgets import sync_budgets
from core.db import upsert
from core.models import CostDaily, CostUsageDaily
from core.models_cost_principals import CostPrincipalTagDaily
from core.registry import SourceDeps, SourceEntry, sources
from core.settings import Duration, MonitorConfig, SourceConfig

log = logging.getLogger(__name__)

REGION = "us-east-1"  # Cost Explorer's one endpoint
# Cost Explorer keeps 13 months of daily data besides the current one.
HISTORY_MONTHS = 13


class CostsConfig(SourceConfig, BillingSettings):
    """`collection.costs`: Cost Explorer's schedule, restatement window and extra services, and
    where billing lines come from (`source`, `cur`, `engine`, `athena`: see ``cur_settings``)."""

    interval: Duration = timedelta(hours=6)
    # Cost Explorer restates recent days: a regular cycle re-reads this many whole days
    lookback: Duration = timedelta(days=3)
    # the first cycle reads this much, and always from the first day of the previous month
    initial_backfill: Duration = timedelta(days=7)
    # every window costs at least one request per (account, service): few, large windows are cheap
    window: Duration = timedelta(days=31)
    # the previous month is re-read until this long into the new month, when its bill is final
    month_final_after: Duration = timedelta(days=5)
    # also collect AmortizedCost (reservations and savings plans spread over their term)
    amortized: bool = False
    extra_services: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _whole_days(self) -> Self:
        for name in ("lookback", "window", "initial_backfill", "month_final_after"):
            if getattr(self, name) % timedelta(days=1):
                raise ValueError(f"{name} must be a whole number of days, like 3d")
        return self


def midnight(day: date) -> datetime:
    """The UTC start of a day."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def first_of_previous_month(day: date) -> date:
    """The first day of the month before the month of ``day``."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def oldest_readable(today: date) -> date:
    """The first day Cost Explorer still has daily data for."""
    month = today.year * 12 + today.month - 1 - HISTORY_MONTHS
    return date(month // 12, month % 12 + 1, 1)


def day_range(start: datetime, end: datetime) -> tuple[date, date]:
    """The whole UTC days [first, end) covering [start, end), clipped to what Cost Explorer keeps."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    last = end.date() if end.time() == time(0) else end.date() + timedelta(days=1)
    first = max(start.date(), oldest_readable(last - timedelta(days=1)))
    return first, last


def cost_range(last_end: datetime | None, now: datetime, settings: CostsConfig) -> Window:
    """The whole days a regular cycle reads: the last ``lookback`` days up to today, the previous
    month too while its bill may still change, and the whole gap after an outage."""
    today = now.astimezone(UTC).date()
    end = midnight(today + timedelta(days=1))
    previous_month = midnight(first_of_previous_month(today))
    if last_end is None:
        start = min(midnight((end - settings.initial_backfill).date()), previous_month)
    else:
        start = midnight((min(last_end, end) - settings.lookback).astimezone(UTC).date())
        if now - midnight(today.replace(day=1)) < settings.month_final_after:
            start = min(start, previous_month)
    return Window(start, end)


@dataclass
class PreparedTarget:
    """What one target needs for its windows: which (account, service) pairs had spend per month."""

    target: Target
    months: list[MonthPairs] = field(default_factory=list)

    def pairs(self, first: date, end: date) -> list[tuple[str, str]]:
        """The (account, service) pairs with spend in a month overlapping [first, end)."""
        found: set[tuple[str, str]] = set()
        for start, stop, pairs in self.months:
            if start < end and first < stop:
                found |= pairs
        return sorted(found)

    def accounts(self) -> frozenset[str]:
        """Every account this target stores lines for in the prepared range, its own included."""
        return frozenset(
            {self.target.account_id}
            | {account for *_, pairs in self.months for account, _ in pairs}
        )


@dataclass(frozen=True)
class CostAnswers:
    """One window's DAILY GetCostAndUsage pages per (account, service), as answered."""

    first: date
    end: date
    pages: list[tuple[str, str, list[dict[str, Any]]]]
    # per principal tag key: its DAILY LINKED_ACCOUNT x TAG pages
    principal_pages: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)


@dataclass
class FetchedWindow:
    """One window's rows, and the (accounts x days) they replace: absent lines are deleted."""

    rows: list[dict[str, Any]]
    accounts: frozenset[str]
    first: date
    end: date
    collected_at: datetime
    usage: list[dict[str, Any]] = field(default_factory=list)  # cost_usage_daily rows
    principal_rows: list[dict[str, Any]] = field(default_factory=list)
    principal_keys: tuple[str, ...] = ()  # the principal tag keys whose days the rows replace


def _time_period(first: date, end: date) -> dict[str, str]:
    return {"Start": first.isoformat(), "End": end.isoformat()}


def _and(*expressions: dict[str, Any]) -> dict[str, Any]:
    return {"And": list(expressions)} if len(expressions) > 1 else expressions[0]


def _dimension(key: str, values: Sequence[str]) -> dict[str, Any]:
    return {"Dimensions": {"Key": key, "Values": list(values)}}


class CostExplorerCollector:
    """Collects daily Cost Explorer spend on GenAI services, one account at a time."""

    name = "costs"

    def __init__(self, config: MonitorConfig, clients: ClientFactoryFn) -> None:
        self.config = config
        self.clients = clients

    @property
    def settings(self) -> CostsConfig:
        """This source's collection settings."""
        return cast(CostsConfig, self.config.collection.source(self.name))

    @property
    def metrics(self) -> list[str]:
        """The Cost Explorer metrics requested."""
        # UsageQuantity: cost / quantity per usage type is the bill's effective rate
        if self.settings.amortized:
            return ["UnblendedCost", "AmortizedCost", "UsageQuantity"]
        return ["UnblendedCost", "UsageQuantity"]

    def targets(self, configured: Sequence[Target]) -> list[Target]:
        """One target per account in us-east-1: Cost Explorer is global, not regional; none when
        `collection.costs.source` leaves Cost Explorer out."""
        if "cost_explorer" not in self.settings.source:
            return []
        chosen: dict[str, Target] = {}
        for target in configured:
            if target.account_id not in chosen:
                chosen[target.account_id] = replace(target, region=REGION)
        return list(chosen.values())

    def incremental_range(self, last_end: datetime | None, now: datetime) -> Window:
        """Whole days: the restatable recent days, the previous month until final, any gap."""
        return cost_range(last_end, now, self.settings)

    def _configured(self, target: Target) -> frozenset[str]:
        return frozenset({account.id for account in self.config.accounts} | {target.account_id})

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """One MONTHLY SERVICE x LINKED_ACCOUNT request: the accounts and GenAI services with spend."""
        prepared = PreparedTarget(target)
        first, last = day_range(start, end)
        if first >= last:
            return prepared
        monthly = pages(
            self.clients("ce", target),
            "get_cost_and_usage",
            token_param="NextPageToken",
            TimePeriod=_time_period(first, last),
            Granularity="MONTHLY",
            Metrics=["UnblendedCost"],
            GroupBy=[
                {"Type": "DIMENSION", "Key": "SERVICE"},
                {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
            ],
        )
        prepared.months = months_with_spend(
            list(monthly), target, self._configured(target), self.settings.extra_services
        )
        return prepared

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> CostAnswers:
        """Read one window's DAILY pages per (account, service) pair with spend."""
        first, last = day_range(start, end)
        answers = CostAnswers(first, last, [])
        if first >= last:
            return answers
        client = self.clients("ce", prepared.target)
        for account_id, service in prepared.pairs(first, last):
            daily = pages(
                client,
                "get_cost_and_usage",
                token_param="NextPageToken",
                TimePeriod=_time_period(first, last),
                Granularity="DAILY",
                Metrics=self.metrics,
                Filter=_and(
                    _dimension("LINKED_ACCOUNT", [account_id]), _dimension("SERVICE", [service])
                ),
                GroupBy=[
                    {"Type": "DIMENSION", "Key": "USAGE_TYPE"},
                    {"Type": "TAG", "Key": self.config.attribution.tag_key},
                ],
            )
            answers.pages.append((account_id, service, list(daily)))
        pairs = prepared.pairs(first, last)
        for key in self.config.attribution.principal_tag_keys:
            request = principal_request(first, last, pairs, key, self.metrics)
            if request is not None:
                by_principal = pages(
                    client, "get_cost_and_usage", token_param="NextPageToken", **request
                )
                answers.principal_pages.append((key, list(by_principal)))
        return answers

    def transform(
        self, prepared: PreparedTarget, fetched: CostAnswers, collected_at: datetime
    ) -> FetchedWindow:
        """One window's pages -> its rows, replacing the prepared accounts' lines of its days."""
        if fetched.first >= fetched.end:
            return FetchedWindow([], frozenset(), fetched.first, fetched.end, collected_at)
        lines: list[CostLine] = [
            line
            for account_id, service, daily in fetched.pages
            for page in daily
            for line in parse_page(page, account_id, service)
        ]
        target = prepared.target
        default_teams = {target.account_id: target.default_team} if target.default_team else {}
        tag_key = self.config.attribution.tag_key
        rows = transform(
            lines, tag_key=tag_key, default_teams=default_teams, collected_at=collected_at
        )
        usage = usage_rows(
            lines, tag_key=tag_key, default_teams=default_teams, collected_at=collected_at
        )
        accounts = prepared.accounts()
        return FetchedWindow(
            rows,
            accounts,
            fetched.first,
            fetched.end,
            collected_at,
            usage,
            principal_rows(fetched.principal_pages, accounts, collected_at),
            tuple(self.config.attribution.principal_tag_keys),
        )

    def load(self, session: Session, fetched: FetchedWindow) -> int:
        """Sync the budgets, delete lines Cost Explorer no longer reports, upsert the window's rows."""
        sync_budgets(session, self.config, fetched.collected_at)
        if fetched.accounts:
            remove_stale(session, fetched)
            # the window's usage lines are replaced whole: one line moving between teams on a
            # restated day is then never counted twice
            session.execute(
                delete(CostUsageDaily).where(
                    CostUsageDaily.account_id.in_(sorted(fetched.accounts)),
                    CostUsageDaily.day >= fetched.first,
                    CostUsageDaily.day < fetched.end,
                )
            )
            upsert(session, CostUsageDaily, fetched.usage)
            replace_principal_days(session, fetched)
        return upsert(session, CostDaily, fetched.rows)


def replace_principal_days(session: Session, fetched: FetchedWindow) -> int:
    """Replace the window's days of the fetched principal tag keys whole, like cost_usage_daily:
    a principal tagged after the fact moves its spend from ``unattributed`` to its team."""
    if not fetched.principal_keys:
        return 0
    session.execute(
        delete(CostPrincipalTagDaily).where(
            CostPrincipalTagDaily.account_id.in_(sorted(fetched.accounts)),
            CostPrincipalTagDaily.tag_key.in_(fetched.principal_keys),
            CostPrincipalTagDaily.day >= fetched.first,
            CostPrincipalTagDaily.day < fetched.end,
        )
    )
    return upsert(session, CostPrincipalTagDaily, fetched.principal_rows)


def remove_stale(session: Session, fetched: FetchedWindow) -> int:
    """Delete stored lines of the window's accounts and days that the new answer lacks.

    A restated day can move an amount between lines (a cost allocation tag applied after the
    fact moves it from ``team$`` to ``team$search``): an upsert alone would count it twice.
    """
    key = (
        CostDaily.day,
        CostDaily.account_id,
        CostDaily.service,
        CostDaily.usage_group,
        CostDaily.team,
    )
    stored = session.execute(
        select(*key).where(
            CostDaily.account_id.in_(sorted(fetched.accounts)),
            CostDaily.day >= fetched.first,
            CostDaily.day < fetched.end,
        )
    ).all()
    fresh = {
        (row["day"], row["account_id"], row["service"], row["usage_group"], row["team"])
        for row in fetched.rows
    }
    stale = [tuple(row) for row in stored if tuple(row) not in fresh]
    for start in range(0, len(stale), 500):
        session.execute(delete(CostDaily).where(tuple_(*key).in_(stale[start : start + 500])))
    return len(stale)


def _build(deps: SourceDeps) -> CostExplorerCollector:
    return CostExplorerCollector(deps.config, deps.clients)


sources.add(SourceEntry("costs", CostsConfig, _build, offset=timedelta(minutes=20), order=30))
