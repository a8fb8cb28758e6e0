"""Builds the rules' snapshot from the stored data through core.queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.snapshot import (
    DailySpend,
    EndpointState,
    PrincipalHour,
    PrincipalSpend,
    ProvisionedState,
    Snapshot,
    TargetFreshness,
    TeamBudgetState,
    VectorStoreState,
)
from core import registry
from core.budgets import ALL_SERVICES, period_of
from core.models import Endpoint
from core.queries.bedrock import bedrock_hourly_cost
from core.queries.budgets import budget_use
from core.queries.endpoints import endpoint_summaries
from core.queries.principal_spend import principal_hourly_cost, scoped_budget_use
from core.queries.provisioned import provisioned_summaries
from core.queries.runs import collector_status
from core.queries.vector_stores import vector_store_summaries
from core.settings import MonitorConfig, RuleSettings
from core.timeutil import floor_hour

MODEL_SERIES_TEAM = (
    "all"  # a model's spend belongs to every team using it: it goes to the default route
)


def endpoint_states(session: Session, now: datetime) -> tuple[EndpointState, ...]:
    """Live endpoints with their idle evidence and tags."""
    summaries = endpoint_summaries(session, end=now, include_deleted=False)
    tags = dict(
        session.execute(
            select(Endpoint.id, Endpoint.tags).where(
                Endpoint.id.in_([s.endpoint_id for s in summaries])
            )
        ).all()
    )
    return tuple(
        EndpointState(
            account_id=s.account_id,
            region=s.region,
            endpoint_name=s.endpoint_name,
            team=s.team,
            endpoint_type=s.endpoint_type,
            instance_type=s.instance_type,
            instance_count=s.instance_count,
            in_service=s.status == "InService",
            bills_while_idle=not s.idle_exempt,
            idle_since=None if s.idle_hours is None else now - timedelta(hours=float(s.idle_hours)),
            idle_cost_usd=s.idle_cost_usd,
            tags=dict(tags.get(s.endpoint_id) or {}),
        )
        for s in summaries
    )


def budget_states(session: Session, now: datetime) -> tuple[TeamBudgetState, ...]:
    """This month's team-wide budgets with spend to date and the projection."""
    return tuple(
        TeamBudgetState(
            team=use.team,
            period=use.period,
            budget_usd=use.budget_usd,
            spent_usd=use.spent_usd,
            projected_usd=use.projection.projected_usd,
            crossing_date=use.projection.crosses_on,
        )
        for use in budget_use(session, now)
        if use.service == ALL_SERVICES
    )


def scoped_budget_states(
    session: Session, now: datetime, config: MonitorConfig
) -> tuple[TeamBudgetState, ...]:
    """This month's `budgets:` entries (principals / request metadata) with the estimate so far."""
    period = period_of(now.astimezone(UTC).date())
    return tuple(
        TeamBudgetState(
            team=budget.team or MODEL_SERIES_TEAM,
            period=period,
            budget_usd=projection.budget_usd or Decimal(0),
            spent_usd=projection.spent_usd,
            projected_usd=projection.projected_usd,
            crossing_date=projection.crosses_on,
            name=budget.name,
            covers=budget.describe(),
            routes=None if budget.routes is None else tuple(budget.routes),
        )
        for budget, projection in scoped_budget_use(session, now, config.budgets)
    )


def daily_spend(session: Session, now: datetime, days: int) -> tuple[DailySpend, ...]:
    """Estimated Bedrock spend per team and per model for each of the last ``days`` complete UTC days."""
    today = now.date()
    start = datetime(today.year, today.month, today.day, tzinfo=now.tzinfo) - timedelta(days=days)
    end = start + timedelta(days=days)
    teams: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    models: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for hour, team, model, cost in bedrock_hourly_cost(session, start, end):
        teams[team][hour.date()] += cost
        models[model][hour.date()] += cost
    calendar = [start.date() + timedelta(days=offset) for offset in range(days)]

    def series(scope: str, name: str, team: str, amounts: dict[date, Decimal]) -> DailySpend:
        return DailySpend(
            scope, name, team, tuple((day, amounts.get(day, Decimal(0))) for day in calendar)
        )

    return tuple(
        [series("team", team, team, amounts) for team, amounts in sorted(teams.items())]
        + [
            series("model", model, MODEL_SERIES_TEAM, amounts)
            for model, amounts in sorted(models.items())
        ]
    )


def target_freshness(session: Session) -> tuple[TargetFreshness, ...]:
    """Every collector target's last success and attempt."""
    return tuple(
        TargetFreshness(
            s.source, s.account_id, s.region, s.last_success_at, s.last_attempt_at, s.last_error
        )
        for s in collector_status(session)
    )


def provisioned_states(session: Session, now: datetime) -> tuple[ProvisionedState, ...]:
    """Live Provisioned Throughputs with their idle evidence and commitment."""
    return tuple(
        ProvisionedState(
            account_id=s.account_id,
            region=s.region,
            name=s.name,
            arn=s.arn,
            team=s.team,
            model_id=s.base_model_id,
            model_units=s.model_units,
            commitment=s.commitment,
            commitment_expires_at=s.commitment_expires_at,
            created_at=s.created_at,
            in_service=s.status == "InService",
            idle_since=s.idle_since,
            idle_cost_usd=s.idle_cost_usd,
            hourly_usd=s.hourly_usd,
        )
        for s in provisioned_summaries(session, now, include_deleted=False)
    )


def vector_store_states(session: Session, now: datetime) -> tuple[VectorStoreState, ...]:
    """Live OpenSearch Serverless collections with their idle evidence."""
    return tuple(
        VectorStoreState(
            account_id=s.account_id,
            region=s.region,
            collection_id=s.collection_id,
            name=s.name,
            arn=s.arn,
            team=s.team,
            created_at=s.created_at,
            idle_since=s.idle_since,
            account_ocu_hours=s.account_ocu_hours,
            idle_cost_usd=s.cost_since_last_search_usd,
            knowledge_bases=s.knowledge_bases,
        )
        for s in vector_store_summaries(session, now)
    )


def principal_spend(session: Session, now: datetime, span: timedelta) -> tuple[PrincipalSpend, ...]:
    """Each principal's priced spend per hour over the ``span`` up to the hour in progress."""
    end = floor_hour(now) + timedelta(hours=1)
    hours: dict[str, dict[datetime, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    teams: dict[str, str] = {}
    for hour, principal, team, model, cost in principal_hourly_cost(session, end - span, end):
        models = hours[principal][hour]
        models[model] = models.get(model, Decimal(0)) + cost
        teams[principal] = team  # rows come oldest first: the newest hour's team stands
    return tuple(
        PrincipalSpend(
            principal,
            teams[principal],
            tuple(
                PrincipalHour(
                    hour,
                    sum(models.values(), Decimal(0)),
                    tuple(sorted(models.items(), key=lambda item: (-item[1], item[0]))),
                )
                for hour, models in sorted(by_hour.items())
            ),
        )
        for principal, by_hour in sorted(hours.items())
    )


def _span(rules: list[RuleSettings]) -> timedelta:
    """The longest hourly history any principal rule reads."""
    return max(getattr(rule, "span", timedelta(hours=1)) for rule in rules)


def _baseline_days(rules: list[RuleSettings]) -> int:
    """The longest baseline any rule asks for, plus the day it judges."""
    return max(int(getattr(rule, "baseline_days", 0)) for rule in rules) + 1


# How each part of the snapshot is read; a rule names the part it needs in its registry entry.
# (The config is passed for the parts it shapes: the `budgets:` entries.)
Reader = Callable[[Session, datetime, list[RuleSettings], MonitorConfig], tuple[Any, ...]]
READERS: dict[str, Reader] = {
    "endpoints": lambda session, now, _rules, _config: endpoint_states(session, now),
    "budgets": lambda session, now, _rules, config: (
        budget_states(session, now) + scoped_budget_states(session, now, config)
    ),
    "daily_spend": lambda session, now, rules, _config: daily_spend(
        session, now, _baseline_days(rules)
    ),
    "targets": lambda session, _now, _rules, _config: target_freshness(session),
    "provisioned": lambda session, now, _rules, _config: provisioned_states(session, now),
    "vector_stores": lambda session, now, _rules, _config: vector_store_states(session, now),
    "principal_spend": lambda session, now, rules, _config: principal_spend(
        session, now, _span(rules)
    ),
}


def build_snapshot(config: MonitorConfig, session: Session, now: datetime) -> Snapshot:
    """Read only the parts of the snapshot that the configured rules need."""
    needed: dict[str, list[RuleSettings]] = defaultdict(list)
    for rule in config.alerts.rules:
        needed[registry.rules[rule.kind].needs].append(rule)
    parts = {part: READERS[part](session, now, rules, config) for part, rules in needed.items()}
    return Snapshot(now=now, **parts)
