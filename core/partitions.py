"""Monthly range partitions of the hourly tables on Postgres, and their retention.

On Postgres each hourly table is ``PARTITION BY RANGE (hour)`` (migration 0020): one partition
per UTC month named ``<table>_pYYYYMM`` and a ``<table>_default`` partition that catches an hour
no month partition holds yet (a backfill older than the oldest month), so no insert ever fails.
:func:`maintain_partitions` creates the months ahead and moves any row the default caught into
its month; retention drops whole expired months (Postgres never deletes rows for retention).
SQLite keeps plain tables: retention deletes its expired rows in batches.

Only the tables in :data:`HOURLY_TABLES` are ever touched: the daily rollups (``rollup_daily_*``)
keep the long-window history and are never partitioned nor expired here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, delete, literal_column, select, text

from core.models import Base

HOURLY_TABLES: tuple[str, ...] = (
    "bedrock_usage_hourly",
    "endpoint_hourly",
    "provisioned_throughput_hourly",
    "vector_store_hourly",
    "inference_component_hourly",
    "principal_usage_hourly",
)
# how many months after the current one have their partition ready
MONTHS_AHEAD = 3
# rows deleted per statement on SQLite, so one retention pass never holds the writer long
DELETE_BATCH = 5000
# how long creating or dropping a partition waits for the parent's lock before it gives up
LOCK_TIMEOUT = "30s"
# one maintenance at a time over every `run` replica and `migrate` (transaction-scoped)
_LOCK_KEY = "genai-monitor:partitions"
_PARTITION = re.compile(r"^(?P<table>[a-z_]+)_(?:p(?P<year>\d{4})(?P<month>\d{2})|default)$")


class RetentionRefused(Exception):
    """Retention was asked for a table that is not an hourly table (e.g. a daily rollup), or for
    a Postgres table not partitioned yet."""


def month_start(at: datetime | date) -> date:
    """The first day of the UTC month holding ``at``."""
    if isinstance(at, datetime):
        at = at.astimezone(UTC).date()
    return at.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    """The name of ``table``'s partition for ``month``."""
    return f"{table}_p{month.year:04d}{month.month:02d}"


def default_partition_name(table: str) -> str:
    """The name of ``table``'s default partition."""
    return f"{table}_default"


def is_partition_name(name: str) -> bool:
    """Whether ``name`` is one of an hourly table's partitions (month or default)."""
    found = _PARTITION.match(name)
    return found is not None and found["table"] in HOURLY_TABLES


def include_name(name: str | None, type_: str, _parent_names: Mapping[str, str | None]) -> bool:
    """Alembic's ``include_name``: the partitions are not tables of the models (autogenerate and
    ``alembic check`` compare the partitioned parents only)."""
    return not (type_ == "table" and name is not None and is_partition_name(name))


def expired_months(months: Iterable[date], cutoff: datetime) -> list[date]:
    """The months whose every hour is older than ``cutoff`` (the next month starts by then)."""
    limit = month_start(cutoff)
    return sorted(month for month in months if add_months(month, 1) <= limit)


def _check_table(table: str) -> str:
    if table not in HOURLY_TABLES:
        raise RetentionRefused(
            f"{table!r} is not an hourly table ({', '.join(HOURLY_TABLES)}); "
            "daily rollups and other tables are never partitioned nor expired"
        )
    return table


def _timestamp(month: date) -> str:
    return f"'{month.isoformat()} 00:00:00+00'"


def partitioned_tables(connection: Connection) -> list[str]:
    """The hourly tables that are range-partitioned in this database (none on SQLite)."""
    if connection.dialect.name != "postgresql":
        return []
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace"
        )
    ).scalars()
    return sorted(name for name in rows if name in HOURLY_TABLES)


def monthly_partitions(connection: Connection, table: str) -> dict[date, str]:
    """``table``'s month partitions by month (the default partition left out)."""
    names = connection.execute(
        text(
            "SELECT child.relname FROM pg_inherits i "
            "JOIN pg_class child ON child.oid = i.inhrelid "
            "JOIN pg_class parent ON parent.oid = i.inhparent "
            "WHERE parent.relname = :table "
            "AND parent.relnamespace = current_schema()::regnamespace"
        ),
        {"table": _check_table(table)},
    ).scalars()
    found: dict[date, str] = {}
    for name in names:
        match = _PARTITION.match(name)
        if match and match["table"] == table and match["year"]:
            found[date(int(match["year"]), int(match["month"]), 1)] = name
    return found


def create_default_partition(connection: Connection, table: str) -> None:
    """Give ``table`` its default partition (the catch-all for months not created yet)."""
    name = default_partition_name(_check_table(table))
    connection.execute(text(f"CREATE TABLE {name} PARTITION OF {table} DEFAULT"))


def _default_months(connection: Connection, table: str) -> list[date]:
    """The months of the rows ``table``'s default partition caught."""
    name = default_partition_name(table)
    if connection.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar() is None:
        return []
    rows = connection.execute(
        text(
            f"SELECT DISTINCT (date_trunc('month', hour, 'UTC') AT TIME ZONE 'UTC')::date FROM {name}"
        )
    ).scalars()
    return sorted(rows)


def _create_month(connection: Connection, table: str, month: date, has_default: bool) -> str:
    """Create and attach one month's partition, moving in the rows the default partition held.

    Built apart and attached (rather than ``CREATE ... PARTITION OF``) so the parent is only
    share-locked and collectors keep writing the other months meanwhile."""
    name = partition_name(table, month)
    start, end = _timestamp(month), _timestamp(add_months(month, 1))
    connection.execute(text(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)"))
    if has_default:
        connection.execute(
            text(
                f"WITH moved AS (DELETE FROM {default_partition_name(table)} "
                f"WHERE hour >= {start} AND hour < {end} RETURNING *) "
                f"INSERT INTO {name} SELECT * FROM moved"
            )
        )
    connection.execute(
        text(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({start}) TO ({end})")
    )
    return name


def ensure_months(connection: Connection, table: str, months: Iterable[date]) -> list[str]:
    """Create ``table``'s partitions for ``months`` that lack one; returns the names created."""
    existing = monthly_partitions(connection, table)
    has_default = (
        connection.execute(
            text("SELECT to_regclass(:name)"), {"name": default_partition_name(table)}
        ).scalar()
        is not None
    )
    created = []
    for month in sorted({month_start(month) for month in months}):
        if month not in existing:
            created.append(_create_month(connection, table, month, has_default))
    return created


def _lock(connection: Connection) -> None:
    """Take the maintenance's turn; then give up on a table lock after LOCK_TIMEOUT rather than
    queue behind a long load while every reader queues behind this (tried again next time)."""
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _LOCK_KEY})
    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))


def maintain_partitions(
    connection: Connection, now: datetime, ahead: int = MONTHS_AHEAD
) -> list[str]:
    """Create every partitioned hourly table's months from the current one to ``ahead`` after,
    and the months of rows its default partition caught; idempotent. Returns the names created
    (none on SQLite)."""
    tables = partitioned_tables(connection)
    if not tables:
        return []
    _lock(connection)
    current = month_start(now)
    wanted = [add_months(current, count) for count in range(ahead + 1)]
    created: list[str] = []
    for table in tables:
        created += ensure_months(connection, table, wanted + _default_months(connection, table))
    return created


def drop_expired_partitions(connection: Connection, table: str, cutoff: datetime) -> list[str]:
    """Drop ``table``'s month partitions whose every hour is older than ``cutoff`` (after moving
    the rows its default partition caught into their months)."""
    # rows the default partition caught go to their month first: they expire with it
    ensure_months(connection, table, _default_months(connection, table))
    partitions = monthly_partitions(connection, table)
    dropped = []
    for month in expired_months(partitions, cutoff):
        connection.execute(text(f"DROP TABLE {partitions[month]}"))
        dropped.append(partitions[month])
    return dropped


def delete_expired_batch(
    connection: Connection, table: str, cutoff: datetime, batch: int = DELETE_BATCH
) -> int:
    """Delete up to ``batch`` of ``table``'s rows older than ``cutoff`` (the plain-table path,
    SQLite's); returns how many were deleted."""
    model = Base.metadata.tables[_check_table(table)]
    rowid: ColumnElement[int] = literal_column("rowid")
    chosen = select(rowid).select_from(model).where(model.c.hour < cutoff).limit(batch)
    return connection.execute(delete(model).where(rowid.in_(chosen))).rowcount


def apply_retention(
    engine: Engine, retention: Mapping[str, timedelta], now: datetime, batch: int = DELETE_BATCH
) -> dict[str, str]:
    """Expire every hourly table named in ``retention`` (table -> how long its hours are kept):
    whole month partitions dropped where partitioned (one transaction), rows deleted elsewhere
    one batch per transaction (SQLite's one writer is never held long). Returns what was done
    per table, for the log."""
    for table in retention:
        _check_table(table)
    done: dict[str, str] = {}
    with engine.begin() as connection:
        partitioned = set(partitioned_tables(connection))
        if partitioned:
            _lock(connection)
        for table in sorted(set(retention) & partitioned):
            dropped = drop_expired_partitions(connection, table, now - retention[table])
            done[table] = f"dropped {', '.join(dropped)}" if dropped else "nothing expired"
    for table in sorted(set(retention) - partitioned):
        if engine.dialect.name == "postgresql":  # Postgres never deletes rows for retention
            raise RetentionRefused(f"{table} is not partitioned: run `genai-monitor migrate`")
        deleted, count = 0, batch
        while count == batch:
            with engine.begin() as connection:
                count = delete_expired_batch(connection, table, now - retention[table], batch)
            deleted += count
        done[table] = f"deleted {deleted} rows"
    return done
