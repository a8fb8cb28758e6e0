"""What every read shares: the optional filters, the optional window, money and UTC days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

_MICRO = Decimal("0.000001")


def chosen(*filters: tuple[Any, Sequence[str] | None]) -> list[Any]:
    """``column IN values`` for every (column, values) whose values are given; none given keeps all."""
    return [column.in_(values) for column, values in filters if values]


def between(column: Any, start: Any | None, end: Any | None) -> list[Any]:
    """``start <= column < end``, each bound only where it is given."""
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def usd(value: Any) -> Decimal:
    """A summed amount as Decimal to the money columns' 6 places (None is zero)."""
    # SQLite hands sums back as floats: through str, then to the column's 6 places
    return Decimal(0) if value is None else Decimal(str(value)).quantize(_MICRO)


def utc_day(session: Session, column: Any) -> Any:
    """The UTC day of a timestamp column, in SQL (a plain date() would use the session's time zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def as_day(value: Any) -> date:
    """A day read back from SQL as a date."""
    # SQLite's date() answers a 'YYYY-MM-DD' string
    return value if isinstance(value, date) else date.fromisoformat(value)
