"""Monthly range partitions for the hourly tables on Postgres (#16); SQLite keeps plain tables.

Each hourly table becomes ``PARTITION BY RANGE (hour)``: a partition per month of its rows, the
current month and the months ahead (core.partitions.MONTHS_AHEAD), and a default partition. The
rows are moved across, and the constraints and indexes keep their names (read from the catalog
before the swap, so they are exactly what earlier revisions made). The downgrade moves the rows
back into a plain table the same way.

Revision ID: 0020
Revises: 0018
Create Date: 2026-11-25 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from core.partitions import (
    HOURLY_TABLES,
    MONTHS_AHEAD,
    add_months,
    create_default_partition,
    ensure_months,
    month_start,
)

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "{}__unpartitioned"


def _definitions(connection: sa.Connection, table: str) -> tuple[list[str], list[str]]:
    """The table's constraints (primary key first) and its other indexes, as DDL to replay."""
    constraints = connection.execute(
        sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'u', 'f', 'c') "
            "ORDER BY contype <> 'p', conname"
        ),
        {"table": table},
    ).all()
    indexes = connection.execute(
        sa.text(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = :table AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass)) "
            "ORDER BY indexname"
        ),
        {"table": table},
    ).scalars()
    added = [f"ALTER TABLE {table} ADD CONSTRAINT {name} {ddl}" for name, ddl in constraints]
    # a partitioned table's index reads "ON ONLY t": replayed, it must cover every partition
    return added, [ddl.replace(" ON ONLY ", " ON ") for ddl in indexes]


def _months(connection: sa.Connection, table: str) -> list[date]:
    """The months of the table's rows, the current month and the months ahead."""
    rows = connection.execute(
        sa.text(
            f"SELECT DISTINCT (date_trunc('month', hour, 'UTC') AT TIME ZONE 'UTC')::date "
            f"FROM {table}"
        )
    ).scalars()
    current = month_start(datetime.now(UTC))
    return sorted({*rows, *(add_months(current, n) for n in range(MONTHS_AHEAD + 1))})


def _rebuild(connection: sa.Connection, table: str, partitioned: bool) -> None:
    """Swap ``table`` for a partitioned (or plain) copy holding the same rows and names."""
    constraints, indexes = _definitions(connection, table)
    old = _OLD.format(table)
    months = _months(connection, table) if partitioned else []
    connection.execute(sa.text(f"ALTER TABLE {table} RENAME TO {old}"))
    # the names are freed for the new table: an index name is unique in the schema
    for name in connection.execute(
        sa.text(
            "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:old AS regclass) "
            "AND contype IN ('p', 'u', 'f', 'c')"
        ),
        {"old": old},
    ).scalars():
        connection.execute(sa.text(f"ALTER TABLE {old} DROP CONSTRAINT {name}"))
    for name in connection.execute(
        sa.text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = :old"
        ),
        {"old": old},
    ).scalars():
        connection.execute(sa.text(f"DROP INDEX {name}"))
    suffix = " PARTITION BY RANGE (hour)" if partitioned else ""
    connection.execute(sa.text(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS){suffix}"))
    if partitioned:
        create_default_partition(connection, table)
        ensure_months(connection, table, months)
    connection.execute(sa.text(f"INSERT INTO {table} SELECT * FROM {old}"))
    connection.execute(sa.text(f"DROP TABLE {old} CASCADE"))
    for ddl in constraints + indexes:
        connection.execute(sa.text(ddl))


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return  # SQLite keeps plain tables; retention deletes rows there
    for table in HOURLY_TABLES:
        _rebuild(connection, table, partitioned=True)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    for table in HOURLY_TABLES:
        # the partitions go with the parent when the old table is dropped
        _rebuild(connection, table, partitioned=False)
