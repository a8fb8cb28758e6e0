"""Check a FOCUS dataset against the 1.2 column list: names, types, nullability, allowed values and
the cross-column rules; CSV and Parquet are both read back to one string form and checked alike."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.focus.spec import Column, FocusSpec, focus_spec

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
MAX_PROBLEMS = 20
Row = Mapping[str, str | None]  # a column's value as text, None for null


def check_header(names: Sequence[str], spec: FocusSpec) -> list[str]:
    """Problems of the column names: a missing Mandatory column, an unknown or repeated one."""
    problems = [
        f"column {name!r} appears twice" for name in sorted(set(names)) if names.count(name) > 1
    ]
    for column in spec.columns:
        if column.level == "Mandatory" and column.name not in names:
            problems.append(f"mandatory column {column.name!r} is missing")
    for name in names:
        if spec.column(name) is None and not name.startswith("x_"):
            problems.append(
                f"column {name!r} is not a FOCUS {spec.version} column (custom ones start with x_)"
            )
    return problems


def _type_problem(column: Column, value: str, spec: FocusSpec) -> str | None:
    if column.type == "Decimal" and not _DECIMAL.match(value):
        return "is not a decimal number"
    if column.type == "DateTime" and not re.match(spec.datetime_pattern, value):
        return "is not an ISO 8601 UTC time like 2026-03-01T00:00:00Z"
    if column.type == "JSON":
        try:
            parsed = json.loads(value)
        except ValueError:
            return "is not JSON"
        if not isinstance(parsed, dict):
            return "is not a JSON object"
    if column.allowed is not None and value not in column.allowed:
        return f"is not one of {', '.join(column.allowed)}"
    return None


def check_value(column: Column, value: str | None, spec: FocusSpec) -> str | None:
    """What is wrong with one value of ``column``, or None."""
    if value is None:
        return None if column.nullable else "is null, and the column may not be"
    return _type_problem(column, value, spec)


def _blank(row: Row, name: str) -> bool:
    return row.get(name) is None


CONSUMED = ("ConsumedQuantity", "ConsumedUnit")
COMMITMENT = ("CommitmentDiscountCategory", "CommitmentDiscountType", "CommitmentDiscountStatus")
PERIODS = (("ChargePeriodStart", "ChargePeriodEnd"), ("BillingPeriodStart", "BillingPeriodEnd"))


def _null_unless(row: Row, names: Sequence[str], when: str) -> list[str]:
    return [f"{name} must be null when {when}" for name in names if not _blank(row, name)]


def _value_rules(row: Row, spec: FocusSpec) -> list[str]:
    """Currency code, periods that end after they start, a subcategory of the row's category."""
    problems = []
    currency = row.get("BillingCurrency")
    if currency is not None and not re.match(spec.currency_pattern, currency):
        problems.append(f"BillingCurrency {currency!r} is not an ISO 4217 code")
    for start, end in PERIODS:
        first, last = row.get(start), row.get(end)
        if first and last and not first < last:
            problems.append(f"{end} {last} is not after {start} {first}")
    category, sub = row.get("ServiceCategory"), row.get("ServiceSubcategory")
    if category and sub and sub not in spec.subcategories.get(category, ()):
        problems.append(f"ServiceSubcategory {sub!r} is not a subcategory of {category!r}")
    return problems


def _row_rules(row: Row, spec: FocusSpec) -> list[str]:
    """The rules between a row's columns."""
    problems = _value_rules(row, spec)
    if row.get("ChargeCategory") != "Usage":
        problems += _null_unless(row, CONSUMED, "ChargeCategory is not Usage")
    if _blank(row, "CommitmentDiscountId"):
        problems += _null_unless(row, COMMITMENT, "CommitmentDiscountId is null")
    return problems


def check_rows(
    names: Sequence[str], rows: Iterable[Row], spec: FocusSpec | None = None
) -> list[str]:
    """Every problem of a dataset (up to MAX_PROBLEMS), header first; empty when it conforms."""
    spec = spec or focus_spec()
    problems = check_header(list(names), spec)
    columns = [(name, spec.column(name)) for name in names]
    for number, row in enumerate(rows, start=1):
        for name, column in columns:
            problem = check_value(column, row.get(name), spec) if column else None
            if problem:
                problems.append(f"row {number}: {name} {row.get(name)!r} {problem}")
        problems += [f"row {number}: {problem}" for problem in _row_rules(row, spec)]
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems[:MAX_PROBLEMS]


def validate_csv(path: Path, spec: FocusSpec | None = None) -> list[str]:
    """Problems of a FOCUS CSV file (an empty field is null)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        names = next(reader, [])
        rows = (
            {name: (value or None) for name, value in zip(names, line, strict=True)}
            for line in reader
        )
        return check_rows(names, rows, spec)


def _arrow_type_problem(column: Column, arrow_type: Any) -> str | None:
    import pyarrow as pa

    if column.type == "Decimal" and not pa.types.is_decimal(arrow_type):
        return f"column {column.name!r} is {arrow_type}, not a decimal type"
    if column.type == "DateTime" and not (
        pa.types.is_timestamp(arrow_type) and arrow_type.tz in ("UTC", "+00:00")
    ):
        return f"column {column.name!r} is {arrow_type}, not a UTC timestamp"
    if column.type in ("String", "JSON") and not (
        pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
    ):
        return f"column {column.name!r} is {arrow_type}, not a string"
    return None


def as_text(value: Any) -> str | None:
    """A value as the CSV holds it: decimals in full, UTC times with Z, null as None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def validate_parquet(path: Path, spec: FocusSpec | None = None) -> list[str]:
    """Problems of a FOCUS Parquet file: its schema's types, then every value as the CSV check sees it."""
    import pyarrow.parquet as pq

    spec = spec or focus_spec()
    table = pq.read_table(path)
    problems = []
    for field in table.schema:
        column = spec.column(field.name)
        problem = _arrow_type_problem(column, field.type) if column else None
        if problem:
            problems.append(problem)
    rows = ({name: as_text(value) for name, value in row.items()} for row in table.to_pylist())
    return (problems + check_rows(table.schema.names, rows, spec))[:MAX_PROBLEMS]
