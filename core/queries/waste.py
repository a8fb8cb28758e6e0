"""Waste: every idle or under-used resource of every kind, one row each (the Waste page, `genai-monitor waste`).

Each kind is one provider function, listed once in :data:`KINDS`; adding a kind is adding its
provider there. Rows come back sorted by what they cost a month if left running, biggest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.queries.waste_endpoint_size import KIND as UNDERUSED_ENDPOINT_KIND
from core.queries.waste_endpoint_size import underused_endpoint_waste
from core.queries.waste_endpoints import DEFAULT_FOR as ENDPOINT_FOR
from core.queries.waste_endpoints import KIND as ENDPOINT_KIND
from core.queries.waste_endpoints import idle_endpoint_waste
from core.queries.waste_provisioned import DEFAULT_IDLE_FOR as PROVISIONED_FOR
from core.queries.waste_provisioned import KIND as PROVISIONED_KIND
from core.queries.waste_provisioned import idle_provisioned_waste
from core.queries.waste_provisioned_use import KIND as UNDERUSED_PROVISIONED_KIND
from core.queries.waste_provisioned_use import underused_provisioned_waste
from core.queries.waste_row import WASTE_FIELDS, UnderUse, WasteKind, WasteRow, WasteScope
from core.queries.waste_vector_stores import DEFAULT_IDLE_FOR as VECTOR_STORE_FOR
from core.queries.waste_vector_stores import KIND as VECTOR_STORE_KIND
from core.queries.waste_vector_stores import idle_vector_store_waste

# Every kind of waste, in the order ties are shown. (Custom model deployments bill per token and
# imported models scale to zero: nothing of theirs bills while idle.)
KINDS: tuple[WasteKind, ...] = (
    WasteKind(ENDPOINT_KIND, idle_endpoint_waste, rule="idle_endpoint", default_for=ENDPOINT_FOR),
    WasteKind(
        PROVISIONED_KIND,
        idle_provisioned_waste,
        rule="idle_provisioned_throughput",
        default_for=PROVISIONED_FOR,
    ),
    WasteKind(
        VECTOR_STORE_KIND,
        idle_vector_store_waste,
        rule="idle_vector_store",
        default_for=VECTOR_STORE_FOR,
    ),
    # under-used, not idle: judged over the config's `waste.window` (see UnderUse)
    WasteKind(UNDERUSED_ENDPOINT_KIND, underused_endpoint_waste),
    WasteKind(UNDERUSED_PROVISIONED_KIND, underused_provisioned_waste),
)

__all__ = [
    "KINDS",
    "WASTE_FIELDS",
    "UnderUse",
    "WasteKind",
    "WasteRow",
    "WasteScope",
    "under_use",
    "waste_rows",
]


class WasteRowError(ValueError):
    """A provider returned a row without exactly the waste fields."""


def as_row(row: WasteRow | Mapping[str, Any]) -> WasteRow:
    """A provider's row as a WasteRow; a mapping must hold exactly the waste fields."""
    if isinstance(row, WasteRow):
        return row
    if set(row) != set(WASTE_FIELDS):
        missing = sorted(set(WASTE_FIELDS) - set(row))
        extra = sorted(set(row) - set(WASTE_FIELDS))
        raise WasteRowError(
            f"a waste row needs exactly {WASTE_FIELDS}: missing {missing}, extra {extra}"
        )
    return WasteRow(**{column.name: row[column.name] for column in fields(WasteRow)})


def idle_thresholds(
    rules: Iterable[Any], kinds: Iterable[WasteKind] = KINDS
) -> dict[str, timedelta]:
    """Each kind's idle threshold from the config's alert rules: the ``for`` of the kind's rule."""
    holds = {rule.kind: getattr(rule, "for_", None) for rule in rules}
    return {
        kind.name: holds.get(kind.rule) or kind.default_for
        for kind in kinds
        if kind.rule is not None
    }


def under_use(config: Any) -> UnderUse:
    """What makes a resource under-used, from a config (its ``waste`` section and price overrides)."""
    waste = config.waste
    return UnderUse(
        window=waste.window,
        invocations_per_instance_hour=waste.endpoint_invocations_per_instance_hour,
        provisioned_busy_share=Decimal(str(waste.provisioned_busy_share)),
        price_overrides=dict(config.pricing.overrides),
    )


def _cost_key(row: WasteRow) -> tuple[Decimal, Decimal, str, str]:
    """Biggest monthly cost first (unpriced last), then the most burnt, then by kind and name."""
    monthly = row.monthly_usd if row.monthly_usd is not None else Decimal(-1)
    burnt = row.burnt_usd if row.burnt_usd is not None else Decimal(-1)
    return (-monthly, -burnt, row.kind, row.resource)


def waste_rows(
    session: Session, scope: WasteScope, kinds: Iterable[WasteKind] = KINDS
) -> list[WasteRow]:
    """Every idle resource of every kind in ``scope``, the most expensive a month first."""
    rows = [as_row(row) for kind in kinds for row in kind.provider(session, scope)]
    if scope.teams is not None:
        # a provider that ignored the scope must still not show another team's waste
        rows = [row for row in rows if row.team in scope.teams]
    return sorted(rows, key=_cost_key)


def monthly_total(rows: Iterable[WasteRow]) -> Decimal:
    """What the rows cost a month if left running (the priced ones: unpriced is unknown, not zero)."""
    return sum((row.monthly_usd for row in rows if row.monthly_usd is not None), Decimal(0))
