"""The Teams page's drill-down view model (#14): one team -> its applications -> an application's
principals -> a principal's models, with tokens, the estimate and, per principal, the bill.

An application is what core.queries.principals calls one: the first configured request-metadata
value (``project=checkout``), else the principal's ARN. The bill (CUR 2.0's IAM principal) has no
application or model: it is shown per principal, and only for a principal that called for this
team alone in the window (a shared role's bill would tell another team's spend).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.queries.principals import (
    COUNTS,
    PrincipalUsage,
    billed_by_principal,
    principal_breakdown,
    principals_beyond,
)
from dashboard.context import ZERO, cents
from dashboard.filters import Filters

APPLICATION_COLUMNS = ["application", "principals", *COUNTS, "estimated_cost_usd", "unpriced_hours"]
PRINCIPAL_COLUMNS = ["principal", "models", *COUNTS, "estimated_cost_usd", "billed_usd"]
MODEL_COLUMNS = ["model_id", *COUNTS, "estimated_cost_usd", "unpriced_hours"]


@dataclass(frozen=True)
class DrillDown:
    """The levels of one team's drill-down: applications always; the principals of the chosen
    application and the models of the chosen principal when chosen (and found)."""

    team: str
    application: str | None
    principal: str | None
    applications: pd.DataFrame
    principals: pd.DataFrame
    models: pd.DataFrame
    billed_usd: Decimal | None  # the team's principals' whole bill, None when none is billed


def _fold(
    rows: Iterable[PrincipalUsage], key: Callable[[PrincipalUsage], str], inner: str
) -> list[list[Any]]:
    """Rows summed per ``key``: key, count of distinct ``inner`` values, the counts, cost, unpriced."""
    folded: dict[str, list[Any]] = {}
    seen: dict[str, set[str]] = {}
    for row in rows:
        name = key(row)
        sums = folded.setdefault(name, [name, 0, *[0] * len(COUNTS), ZERO, 0])
        seen.setdefault(name, set()).add(getattr(row, inner))
        for index, count in enumerate(COUNTS, start=2):
            sums[index] += getattr(row, count)
        sums[-2] += row.estimated_cost_usd
        sums[-1] += row.unpriced_rows
    for name, sums in folded.items():
        sums[1] = len(seen[name])
        sums[-2] = cents(sums[-2])
    return sorted(folded.values(), key=lambda sums: (-sums[-2], sums[0]))


def applications_frame(rows: list[PrincipalUsage]) -> pd.DataFrame:
    """Per application: its principals, tokens, estimate, unpriced hours; costliest first."""
    return pd.DataFrame(
        _fold(rows, lambda r: r.application, "principal"), columns=APPLICATION_COLUMNS
    )


def principals_frame(rows: list[PrincipalUsage], billed: dict[str, Decimal]) -> pd.DataFrame:
    """Per principal: its models, tokens, estimate and its bill (None: not billed or not shown)."""
    folded = _fold(rows, lambda r: r.principal, "model_id")
    return pd.DataFrame(
        [[*sums[:-1], cents(billed.get(sums[0]))] for sums in folded], columns=PRINCIPAL_COLUMNS
    )


def models_frame(rows: list[PrincipalUsage]) -> pd.DataFrame:
    """Per model: tokens, estimate, unpriced hours; costliest first."""
    folded = _fold(rows, lambda r: r.model_id, "model_id")
    return pd.DataFrame([[s[0], *s[2:]] for s in folded], columns=MODEL_COLUMNS)


def drill_down(session: Session, filters: Filters, keys: list[str], team: str) -> DrillDown:
    """One team's drill-down under the page's filters; the chosen application and principal come
    from the filters' ``app`` and ``principal`` (ignored when the team has no such rows)."""
    start, end = filters.window
    rows = principal_breakdown(
        session, start, end, keys, [team], filters.account_list(), filters.region_list()
    )
    application = filters.extra.get("app")
    in_app = [r for r in rows if r.application == application]
    if not in_app:
        application, in_app = None, []
    principal = filters.extra.get("principal")
    of_principal = [r for r in in_app if r.principal == principal]
    if not of_principal:
        principal = None
    names = sorted({r.principal for r in rows})
    shared = principals_beyond(session, start, end, names, [team])
    billed = {
        name: amount
        for name, amount in billed_by_principal(
            session, *filters.day_range, names, filters.account_list()
        ).items()
        if name not in shared
    }
    return DrillDown(
        team=team,
        application=application,
        principal=principal,
        applications=applications_frame(rows),
        principals=principals_frame(in_app, billed),
        models=models_frame(of_principal),
        billed_usd=cents(sum(billed.values(), ZERO)) if billed else None,
    )
