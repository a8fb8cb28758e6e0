"""Tables of remediation (#18): what an action saved before changing AWS (``snapshots``), what
every action did (``actions_audit``), and the state of the policies that act by themselves
(``action_notices``: an auto-stop announced and waiting out its notice).

Kept apart from core/models.py (which imports this module at its end, so every table is on the
one ``Base.metadata``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, EndpointJSON


class Snapshot(Base):
    """Everything needed to recreate one resource exactly, taken before it was deleted or scaled
    to zero; ``restored_at`` is set once a restore from it succeeded (a failed restore keeps it)."""

    __tablename__ = "snapshots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a uuid4
    kind: Mapped[str] = mapped_column(String(64))  # sagemaker_endpoint | provisioned_throughput
    resource_arn: Mapped[str] = mapped_column(String(512))
    name: Mapped[str] = mapped_column(String(256))
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    team: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime]
    # the AWS answers (Describe*, tags, scaling) as they came, JSON-safe
    document: Mapped[dict[str, Any]] = mapped_column(EndpointJSON, default=dict)
    # what the resource cost an hour while running, when stopped: the savings figure's rate
    hourly_usd: Mapped[Decimal | None]
    restored_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_snapshots_resource_arn", "resource_arn"),)


class ActionAudit(Base):
    """One action attempted on AWS (or planned, or refused): who or which policy, when, what,
    the snapshot, the AWS request ids and the outcome."""

    __tablename__ = "actions_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(256))  # "user:alice", "cli:root", "policy:auto_stop"
    action: Mapped[str] = mapped_column(String(32))  # delete | scale-to-zero | restore | announce
    kind: Mapped[str] = mapped_column(String(64))
    resource_arn: Mapped[str] = mapped_column(String(512))
    name: Mapped[str] = mapped_column(String(256))
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    team: Mapped[str] = mapped_column(String(64))
    snapshot_id: Mapped[str | None] = mapped_column(String(36))
    # planned | succeeded | denied | failed | refused | skipped (already in the wanted state)
    outcome: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    request_ids: Mapped[list[str]] = mapped_column(EndpointJSON, default=list)

    __table_args__ = (
        Index("ix_actions_audit_resource_arn_at", "resource_arn", "at"),
        Index("ix_actions_audit_at", "at"),
    )


class ActionNotice(Base):
    """A policy's announced intent to act on one resource (auto-stop's notice), until it acted
    or was cancelled (a keep-alive tag, a silence, traffic back)."""

    __tablename__ = "action_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    policy: Mapped[str] = mapped_column(String(64))
    resource_arn: Mapped[str] = mapped_column(String(512))
    team: Mapped[str] = mapped_column(String(64))
    announced_at: Mapped[datetime]
    act_after: Mapped[datetime]
    # open | acted | cancelled
    state: Mapped[str] = mapped_column(String(16))
    closed_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("policy", "resource_arn", "announced_at"),)
