"""Rows for any hourly table (built from the schema the database has, so they work at any
revision), snapshots to compare, and the retention check the rollups' test reuses."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, MetaData, Table, select

from core.partitions import apply_retention

_PARENTS_MADE = itertools.count(1000)
PARENTS = {
    "endpoint_hourly": "endpoints",
    "inference_component_hourly": "endpoints",
    "provisioned_throughput_hourly": "provisioned_throughputs",
    "vector_store_hourly": "vector_stores",
}


def reflect(engine: Engine, name: str) -> Table:
    """The table as the database has it now."""
    return Table(name, MetaData(), autoload_with=engine)


def _value(column: Any, index: int, hour: datetime) -> Any:
    kind = column.type.python_type
    if kind is datetime:
        return hour
    if kind is date:
        return hour.date()
    if kind is bool:
        return index % 2 == 0
    if kind is int:
        return index * 7 + 1
    if kind is Decimal:
        return Decimal(index) + Decimal("0.125")
    if kind is float:
        return index + 0.5
    if kind is dict:
        return {"i": index}
    length = getattr(column.type, "length", None) or 64
    text = "123456789012" if column.name == "account_id" else f"{column.name}-{index}"
    return text[:length]


def make_row(table: Table, index: int, hour: datetime, parent_id: int | None) -> dict[str, Any]:
    """A row of ``table`` at ``hour``: every column the schema requires, distinct per index."""
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.foreign_keys:
            row[column.name] = parent_id
        elif column.primary_key and column.autoincrement is True:
            continue
        elif column.nullable and not column.primary_key and column.name != "estimated_cost_usd":
            continue
        else:
            row[column.name] = _value(column, index, hour)
    return row


def seed_hourly(engine: Engine, table_name: str, hours: Iterable[datetime]) -> int:
    """Insert one row per hour into ``table_name`` (and its parent row); returns how many."""
    table = reflect(engine, table_name)
    with engine.begin() as connection:
        parent_id = None
        if table_name in PARENTS:
            parent = reflect(engine, PARENTS[table_name])
            hour = datetime.fromisoformat("2025-01-01T00:00:00+00:00")
            values = make_row(parent, next(_PARENTS_MADE), hour, None)
            parent_id = connection.execute(
                parent.insert().values(values).returning(parent.c.id)
            ).scalar_one()
        rows = [make_row(table, i, hour, parent_id) for i, hour in enumerate(hours)]
        connection.execute(table.insert(), rows)
    return len(rows)


def snapshot(engine: Engine, table_name: str) -> list[tuple[Any, ...]]:
    """Every row of the table, in primary-key order."""
    table = reflect(engine, table_name)
    with engine.connect() as connection:
        query = select(table).order_by(*table.primary_key.columns)
        return [tuple(row) for row in connection.execute(query)]


def retention_leaves_intact(
    engine: Engine, retention: Mapping[str, timedelta], now: datetime, tables: Iterable[str]
) -> dict[str, str]:
    """Apply ``retention`` and assert every table of ``tables`` (e.g. the daily rollups) holds
    exactly the rows it held before; returns what the retention did.

    The test "dropping an expired partition leaves the rollups intact" calls this with the
    rollup_daily_* tables once they exist."""
    before = {name: snapshot(engine, name) for name in tables}
    done = apply_retention(engine, retention, now)
    for name, rows in before.items():
        assert snapshot(engine, name) == rows, f"retention changed {name}"
    return done
