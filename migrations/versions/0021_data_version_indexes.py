"""Indexes for the dashboard cache's data version: collector_runs.finished_at, alerts.last_seen_at
(#16): its maxima are read on every page callback, and both tables grow with every cycle.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_collector_runs_finished_at", "collector_runs", ["finished_at"])
    op.create_index("ix_alerts_last_seen_at", "alerts", ["last_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_last_seen_at", table_name="alerts")
    op.drop_index("ix_collector_runs_finished_at", table_name="collector_runs")
