"""Billed Bedrock spend by IAM principal cost allocation tag (#14): Cost Explorer's
``iamPrincipal/<key>`` tags, the caller's team as a second attribution dimension beside the
resource tag of ``cost_daily``.

Kept apart from core/models.py (which imports this module at its end, so the table is on the one
``Base.metadata``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base


class CostPrincipalTagDaily(Base):
    """One day of one account's Bedrock spend (Marketplace model services included) whose calling
    principal carries one value of one principal tag key; untagged callers are ``unattributed``."""

    __tablename__ = "cost_principal_tag_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    # the configured key without the prefix, e.g. "team" for `iamPrincipal/team`
    tag_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), primary_key=True)  # the tag's value
    amount_usd: Mapped[Decimal]
    amortized_usd: Mapped[Decimal | None]
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    collected_at: Mapped[datetime]
