"""Idle Provisioned Throughput as waste rows: the `waste` export's columns, one row per idle PT.

Only Provisioned Throughput bills while nobody calls it: custom model deployments bill per token
and imported models scale to zero (see collector/custom_models.py), so they have no waste row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from core.queries.provisioned import ProvisionedSummary, provisioned_summaries
from core.queries.waste_row import WasteRow, WasteScope

KIND = "provisioned_throughput"
# a PT is waste once nobody has called it for this long (the idle rule's default `for`)
DEFAULT_IDLE_FOR = timedelta(hours=24)


def action_for(pt: ProvisionedSummary, now: datetime) -> str:
    """What stops the spend: delete a no-commitment PT; a committed one bills until its term ends."""
    if (
        pt.commitment is not None
        and pt.commitment_expires_at is not None
        and pt.commitment_expires_at > now
    ):
        return (
            f"committed until {pt.commitment_expires_at.date().isoformat()}: route traffic to it, "
            "and delete it when the term ends"
        )
    return f"delete it: aws bedrock delete-provisioned-model-throughput --provisioned-model-id {pt.arn}"


def idle_provisioned(pt: ProvisionedSummary, now: datetime, idle_for: timedelta) -> bool:
    """In service, older than ``idle_for`` and not called for at least ``idle_for``."""
    return (
        pt.deleted_at is None
        and pt.status == "InService"
        and now - pt.created_at >= idle_for
        and now - pt.idle_since >= idle_for
    )


def provisioned_waste(
    session: Session, now: datetime, idle_for: timedelta = DEFAULT_IDLE_FOR
) -> list[WasteRow]:
    """Every live PT nobody has called for ``idle_for``, with what it burnt and costs a month."""
    rows = []
    for pt in provisioned_summaries(session, now, include_deleted=False):
        if not idle_provisioned(pt, now, idle_for):
            continue
        hours = Decimal(str((now - pt.idle_since).total_seconds())) / Decimal(3600)
        rows.append(
            WasteRow(
                kind=KIND,
                resource=pt.arn,
                name=pt.name,
                account_id=pt.account_id,
                region=pt.region,
                team=pt.team,
                idle_since=pt.idle_since,
                idle_hours=hours.quantize(Decimal("0.1")),
                burnt_usd=pt.idle_cost_usd,
                monthly_usd=pt.monthly_usd,
                action=action_for(pt, now),
            )
        )
    return sorted(rows, key=lambda row: (-(row.monthly_usd or 0), row.resource))


def idle_provisioned_waste(session: Session, scope: WasteScope) -> list[WasteRow]:
    """The Waste page's provider: idle PTs in the scope's accounts and regions."""
    rows = provisioned_waste(session, scope.at, scope.threshold(KIND, DEFAULT_IDLE_FOR))
    return [
        row
        for row in rows
        if (scope.accounts is None or row.account_id in scope.accounts)
        and (scope.regions is None or row.region in scope.regions)
    ]
