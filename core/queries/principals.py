"""Who spent it (#14): per-principal Bedrock usage from the invocation logs, the team ->
application -> principal -> model drill-down, and the bill per IAM principal (CUR 2.0).

An **application** is the value of the first configured request-metadata key
(``attribution.request_metadata_keys``, in config order) that a row carries, shown as
``key=value`` (e.g. ``project=checkout``); a row carrying none of them is its own application,
named by its principal ARN. Applications are folded here, from the stored canonical JSON, so
the SQL stays the same on SQLite and Postgres.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.models import CostLine
from core.models_principals import PrincipalUsageHourly
from core.queries.bedrock import BedrockSlice
from core.queries.billed import CUR_SOURCE
from core.queries.common import as_day, between, chosen, usd, utc_day
from core.services import BEDROCK_SERVICE, MARKETPLACE_SUFFIX

# the summed token counts of a principal row, in the order the drill-down's fields take them
COUNTS = ("invocations", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def principal_usage(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> Iterator[PrincipalUsageHourly]:
    """Hourly per-principal rows in [start, end), oldest first, streamed from the database."""
    usage = PrincipalUsageHourly
    conditions = between(usage.hour, start, end)
    conditions += chosen((usage.team, teams), (usage.account_id, accounts), (usage.region, regions))
    statement = (
        select(usage)
        .where(*conditions)
        .order_by(
            usage.hour,
            usage.account_id,
            usage.region,
            usage.principal,
            usage.model_id,
            usage.request_metadata,
        )
    )
    yield from session.scalars(statement.execution_options(yield_per=2000))


def application_of(request_metadata: str, principal: str, keys: Sequence[str]) -> str:
    """The application a row belongs to: ``key=value`` of the first configured key it carries,
    else its principal ARN."""
    try:
        values = json.loads(request_metadata) if request_metadata else {}
    except ValueError:
        values = {}
    if isinstance(values, dict):
        for key in keys:
            value = values.get(key)
            if value not in (None, ""):
                return f"{key}={value}"
    return principal


@dataclass(frozen=True)
class PrincipalUsage:
    """Usage of one (team, application, principal, model) over a window."""

    team: str
    application: str
    principal: str
    model_id: str
    invocations: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    estimated_cost_usd: Decimal
    unpriced_rows: int  # hour-rows without a price: their cost is not in the estimate


def _conditions(
    start: datetime,
    end: datetime,
    teams: list[str] | None,
    accounts: list[str] | None,
    regions: list[str] | None,
) -> list[Any]:
    usage = PrincipalUsageHourly
    return [usage.hour >= start, usage.hour < end] + chosen(
        (usage.team, teams), (usage.account_id, accounts), (usage.region, regions)
    )


def principal_breakdown(
    session: Session,
    start: datetime,
    end: datetime,
    keys: Sequence[str],
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[PrincipalUsage]:
    """Per team, application (see the module), principal and model: usage and estimate in
    [start, end), costliest first."""
    usage = PrincipalUsageHourly
    groups = (usage.team, usage.request_metadata, usage.principal, usage.model_id)
    statement = (
        select(
            *groups,
            *(func.sum(getattr(usage, name)) for name in COUNTS),
            func.sum(usage.estimated_cost_usd),
            func.sum(case((usage.priced.is_(False), 1), else_=0)),
        )
        .where(*_conditions(start, end, teams, accounts, regions))
        .group_by(*groups)
    )
    folded: dict[tuple[str, str, str, str], list[Any]] = {}
    for team, metadata, principal, model, *sums, cost, unpriced in session.execute(statement):
        key = (team, application_of(metadata, principal, keys), principal, model)
        row = folded.setdefault(key, [0] * len(COUNTS) + [Decimal(0), 0])
        for index, value in enumerate(sums):
            row[index] += int(value or 0)
        row[-2] += usd(cost)
        row[-1] += int(unpriced or 0)
    rows = [PrincipalUsage(*key, *values) for key, values in folded.items()]
    return sorted(rows, key=lambda r: (-r.estimated_cost_usd, r.team, r.application, r.principal))


def principal_slices(
    session: Session,
    start: datetime,
    end: datetime,
    per_day: bool = True,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[BedrockSlice]:
    """Per-principal usage in [start, end) as Bedrock slices keyed by principal ARN, per UTC day
    unless ``per_day`` is False (the invocation logs have no error counts: those are zero)."""
    usage = PrincipalUsageHourly
    groups = [utc_day(session, usage.hour).label("day"), usage.principal] if per_day else []
    groups = groups or [usage.principal]
    statement = (
        select(
            *groups,
            *(func.sum(getattr(usage, name)) for name in COUNTS),
            func.sum(usage.estimated_cost_usd),
            func.sum(case((usage.priced.is_(False), 1), else_=0)),
        )
        .where(*_conditions(start, end, teams, accounts, regions))
        .group_by(*groups)
    )
    result = []
    for row in session.execute(statement):
        values = list(row)
        day = as_day(values.pop(0)) if per_day else None
        principal, calls, tokens_in, tokens_out, read, write, cost, unpriced = values
        n = [int(v or 0) for v in (calls, tokens_in, tokens_out, read, write)]
        result.append(
            BedrockSlice(
                day, principal, n[0], n[1], n[2], n[3], n[4], 0, 0, 0, usd(cost), int(unpriced or 0)
            )
        )
    return sorted(result, key=lambda s: (s.day or date.min, -s.estimated_cost_usd, s.key))


def _bedrock_lines() -> Any:
    """Bedrock's own billed lines and its Marketplace models'."""
    return (CostLine.service == BEDROCK_SERVICE) | CostLine.service.like(f"%{MARKETPLACE_SUFFIX}")


def billed_by_principal(
    session: Session,
    start: date,
    end: date,
    principals: Sequence[str] | None = None,
    accounts: list[str] | None = None,
) -> dict[str, Decimal]:
    """The Bedrock bill (unblended USD) per IAM principal ARN over the days in [start, end), from
    the billed lines that name one (CUR 2.0's ``line_item_iam_principal``); principals the bill
    does not name are absent (not zero: billing is 24-48 h late)."""
    lines = CostLine
    statement = (
        select(lines.principal, func.sum(lines.unblended_usd))
        .where(
            lines.source == CUR_SOURCE,
            lines.day >= start,
            lines.day < end,
            lines.principal != "",
            _bedrock_lines(),
            *chosen((lines.principal, list(principals) if principals else None)),
            *chosen((lines.account_id, accounts)),
        )
        .group_by(lines.principal)
    )
    return {principal: usd(amount) for principal, amount in session.execute(statement)}


def principals_beyond(
    session: Session, start: datetime, end: datetime, principals: Sequence[str], teams: list[str]
) -> set[str]:
    """The principals of ``principals`` that also called for a team outside ``teams`` in
    [start, end): their bill is not one team's to see."""
    if not principals:
        return set()
    usage = PrincipalUsageHourly
    statement = (
        select(usage.principal)
        .where(usage.hour >= start, usage.hour < end, usage.principal.in_(list(principals)))
        .where(usage.team.not_in(teams))
        .distinct()
    )
    return set(session.scalars(statement))


def principal_price_sources(
    session: Session,
    start: datetime,
    end: datetime,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> dict[str, list[str]]:
    """Per principal: the distinct sources of the prices its rows in [start, end) were estimated
    with, sorted (none for a principal whose rows are all unpriced)."""
    usage = PrincipalUsageHourly
    statement = (
        select(usage.principal, usage.price_source)
        .where(*_conditions(start, end, teams, accounts, regions), usage.price_source.is_not(None))
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for principal, source in session.execute(statement):
        if source is not None:
            found.setdefault(principal, []).append(source)
    return {principal: sorted(sources) for principal, sources in found.items()}
