"""Where the estimates' prices came from: per source (the Price List, genai-prices, shipped data,
a config override, unpriced) the estimated dollars, the usage they price and the prices' dates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, Endpoint, EndpointHourly
from core.models_rollups import RollupDailyBedrockUsage, RollupDailyEndpoint
from core.pricing.sources import SHIPPED, UNPRICED, dated, source_label
from core.queries.bedrock import BEDROCK_DIMENSIONS
from core.queries.common import chosen, usd
from core.queries.daily import Part, parts


@dataclass
class SourceShare:
    """What one source priced: estimated USD, the usage behind it, and its prices' dates."""

    label: str
    estimated_usd: Decimal = Decimal(0)
    usage: Decimal = Decimal(0)
    hours: int = 0
    as_of: set[str] = field(default_factory=set)


@dataclass
class PriceMix:
    """The sources behind one estimate (a page's figure or a table row), largest first."""

    shares: dict[str, SourceShare] = field(default_factory=dict)

    def add(self, label: str, as_of: str | None, cost: Decimal, usage: Decimal, hours: int) -> None:
        """Count some rows priced by ``label`` (as of ``as_of``)."""
        share = self.shares.setdefault(label, SourceShare(label))
        share.estimated_usd += cost
        share.usage += usage
        share.hours += hours
        if as_of and dated(label):
            share.as_of.add(as_of)

    def priced(self) -> list[SourceShare]:
        """The sources that priced something, the most dollars first."""
        found = [s for label, s in self.shares.items() if label != UNPRICED]
        return sorted(found, key=lambda s: (-s.estimated_usd, -s.usage, s.label))

    @property
    def unpriced(self) -> SourceShare | None:
        """What no price covered, if anything."""
        return self.shares.get(UNPRICED)

    @classmethod
    def merged(cls, mixes: Iterable[PriceMix]) -> PriceMix:
        """One mix of several (a page's whole estimate from its rows')."""
        whole = cls()
        for mix in mixes:
            for share in mix.shares.values():
                into = whole.shares.setdefault(share.label, SourceShare(share.label))
                into.estimated_usd += share.estimated_usd
                into.usage += share.usage
                into.hours += share.hours
                into.as_of |= share.as_of
        return whole

    @property
    def usage(self) -> Decimal:
        """All the usage behind the estimate, priced or not."""
        return sum((s.usage for s in self.shares.values()), Decimal(0))


def _fold(rows: Any, unrecorded: str | None = None) -> dict[Any, PriceMix]:
    """(key, source, as of, priced, cost, usage, hours) rows -> a mix per key."""
    mixes: dict[Any, PriceMix] = {}
    for key, source, as_of, priced, cost, used, hours in rows:
        label = source_label(source, bool(priced))
        if source is None and priced and unrecorded is not None:
            label = unrecorded
        mix = mixes.setdefault(key, PriceMix())
        # to the columns' 6 places: SQLite sums floats, whose last digits depend on the order
        mix.add(label, as_of, usd(cost), usd(used), int(hours or 0))
    return mixes


def bedrock_price_mix(
    session: Session,
    start: datetime,
    end: datetime,
    by: Sequence[str] = (),
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> dict[tuple[str, ...], PriceMix]:
    """The sources of the Bedrock estimate in [start, end) per tuple of ``by`` keys (of
    BEDROCK_DIMENSIONS; none: all of it under ``()``); usage counts tokens. Whole days are read
    from the daily rollup."""
    rows: list[Any] = []
    for part in parts(session, BedrockUsageHourly, RollupDailyBedrockUsage, start, end):
        usage = part.table
        keys = [part.column(BEDROCK_DIMENSIONS[name]) for name in by]
        tokens = (
            usage.input_tokens
            + usage.output_tokens
            + usage.cache_read_tokens
            + usage.cache_write_tokens
        )
        groups = [*keys, *_price(part)]
        statement = (
            select(*groups, func.sum(usage.estimated_cost_usd), func.sum(tokens), part.count())
            .where(*part.where)
            .where(
                *chosen((usage.team, teams), (usage.account_id, accounts), (usage.region, regions))
            )
            .group_by(*groups)
        )
        width = len(keys)
        rows += [(tuple(row[:width]), *row[width:]) for row in session.execute(statement)]
    return _fold(rows)


def _price(part: Part) -> list[Any]:
    """A part's price source, price date (the rollup's "" read back as NULL) and priced flag."""
    table = part.table
    if part.rollup:
        return [
            func.nullif(table.price_source, ""),
            func.nullif(table.price_as_of, ""),
            table.priced,
        ]
    return [table.price_source, table.price_as_of, table.priced]


def endpoint_price_mix(
    session: Session,
    start: datetime,
    end: datetime,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> PriceMix:
    """The sources of the SageMaker endpoint estimate in [start, end); usage counts
    instance-hours. Whole days are read from the daily rollup."""
    rows: list[Any] = []
    for part in parts(session, EndpointHourly, RollupDailyEndpoint, start, end):
        hourly = part.table
        instance_hours = (
            hourly.instance_hours if part.rollup else hourly.service_hours * hourly.instance_count
        )
        groups = _price(part)
        statement = (
            select(
                *groups,
                func.sum(hourly.estimated_cost_usd),
                func.sum(instance_hours),
                part.count(),
            )
            .join(Endpoint, Endpoint.id == hourly.endpoint_id)
            .where(*part.where)
            .where(
                *chosen(
                    (Endpoint.team, teams),
                    (Endpoint.account_id, accounts),
                    (Endpoint.region, regions),
                )
            )
            .group_by(*groups)
        )
        rows += [((), *row) for row in session.execute(statement)]
    # endpoint-hours stored before their price's source was recorded were all priced from the
    # shipped instance catalog: it was the only source of SageMaker prices then
    return _fold(rows, SHIPPED).get((), PriceMix())
