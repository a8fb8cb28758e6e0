"""Custom and imported models and deployments, with their on-demand traffic and its cost.

Their traffic is the ``bedrock`` source's rows whose ModelId is the model's (or deployment's)
ARN: read from bedrock_usage_hourly, never collected twice. A custom model served on demand is
priced at its base model's token rates where the stored row is unpriced; an imported model bills
Custom Model Units per minute, which tokens cannot tell: it stays unpriced (None), never $0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, CustomModel
from core.pricing import PriceCatalog, TokenUsage, estimate_cost
from core.queries.billed import CUR_SOURCE, billed_by_resource
from core.queries.common import between, chosen, usd


@dataclass(frozen=True)
class CustomModelUsage:
    """One custom model, imported model or deployment, and its traffic over a window."""

    account_id: str
    region: str
    arn: str
    kind: str
    name: str
    base_model: str | None
    status: str | None
    team: str
    created_at: datetime
    deleted_at: datetime | None
    invocations: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None
    # what the bill (CUR 2.0 lines whose resource id is this ARN) says over the same days;
    # None: no billed line names it
    billed_usd: Decimal | None = None
    billed_source: str | None = None


def _base_model(model: CustomModel, by_arn: dict[str, CustomModel]) -> str | None:
    """The foundation model that prices a custom model's tokens (a deployment's via its model)."""
    if model.kind == "deployment" and model.base_model in by_arn:
        return by_arn[model.base_model].base_model
    return model.base_model if model.kind == "custom" else None


def custom_model_usage(
    session: Session,
    catalog: PriceCatalog,
    start: datetime | None = None,
    end: datetime | None = None,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> list[CustomModelUsage]:
    """Every stored custom model with the traffic stored under its ARN in [start, end)."""
    where = chosen(
        (CustomModel.team, teams), (CustomModel.account_id, accounts), (CustomModel.region, regions)
    )
    models = list(session.scalars(select(CustomModel).where(*where).order_by(CustomModel.arn)))
    if not models:
        return []
    row = BedrockUsageHourly
    statement = (
        select(
            row.account_id,
            row.region,
            row.model_id,
            func.sum(row.invocations),
            func.sum(row.input_tokens),
            func.sum(row.output_tokens),
            func.sum(row.estimated_cost_usd),
            func.count(),
            func.count(row.estimated_cost_usd),
        )
        .where(row.model_id.in_([m.arn for m in models]), *between(row.hour, start, end))
        .group_by(row.account_id, row.region, row.model_id)
    )
    traffic = {(a, r, m): rest for a, r, m, *rest in session.execute(statement)}
    by_arn = {m.arn: m for m in models}
    result = []
    for model in models:
        calls, tokens_in, tokens_out, cost, hours, priced = traffic.get(
            (model.account_id, model.region, model.arn), (0, 0, 0, None, 0, 0)
        )
        base = _base_model(model, by_arn)
        usage = TokenUsage(input_tokens=int(tokens_in or 0), output_tokens=int(tokens_out or 0))
        total: Decimal | None
        if hours and hours == priced:
            total = usd(cost)
        elif base is not None:
            total = estimate_cost(catalog.price(base, model.region), usage)
        else:  # an import: no traffic costs nothing, traffic is billed per CMU-minute (unknown)
            total = None if hours else usd(0)
        result.append(
            CustomModelUsage(
                account_id=model.account_id,
                region=model.region,
                arn=model.arn,
                kind=model.kind,
                name=model.name,
                base_model=model.base_model,
                status=model.status,
                team=model.team,
                created_at=model.created_at,
                deleted_at=model.deleted_at,
                invocations=int(calls or 0),
                input_tokens=int(tokens_in or 0),
                output_tokens=int(tokens_out or 0),
                cost_usd=total,
            )
        )
    return result


def with_billed_models(
    session: Session,
    usages: Sequence[CustomModelUsage],
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[CustomModelUsage]:
    """The usages with their billed cost: CUR lines whose resource id is the model's (or the
    deployment's) ARN, over the same whole days. For an imported model, billed per Custom Model
    Unit-minute, the bill is the only figure: its token estimate stays None."""
    billed = billed_by_resource(session, start, end, [usage.arn for usage in usages])
    return [
        replace(usage, billed_usd=usd(found.unblended_usd), billed_source=CUR_SOURCE)
        if (found := billed.get(usage.arn.lower())) is not None
        else usage
        for usage in usages
    ]
