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

# FOCUS numeric format: integer, decimal or E notation "mEn" with a sign only on a negative
# exponent (specification/attributes/numeric_format.md: 35.2E-7 is valid, 35.2E+7 is not)
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?(E-?\d+)?$")
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
        # key-value format: values are numbers, strings, booleans or null, never nested
        if any(isinstance(item, dict | list) for item in parsed.values()):
            return "has an object or array value (FOCUS key-value format allows neither)"
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
COMMITMENT = (
    "CommitmentDiscountCategory",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
)
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


# (column, the column it is null exactly when): FOCUS 1.2 "MUST be null when X is null" and
# "MUST NOT be null when X is not null" in one pair
PAIRED = (
    ("ConsumedUnit", "ConsumedQuantity"),
    ("PricingUnit", "PricingQuantity"),
    ("BillingAccountType", "BillingAccountId"),
    ("SubAccountType", "SubAccountId"),
    ("CommitmentDiscountUnit", "CommitmentDiscountQuantity"),
)
# (column, the column without which it must be null)
DEPENDENT = (
    ("CapacityReservationStatus", "CapacityReservationId"),
    ("SkuMeter", "SkuId"),
    ("SkuPriceDetails", "SkuPriceId"),
)
# null on tax rows (FOCUS 1.2); on Usage and Purchase rows that are not corrections FOCUS also
# wants PricingQuantity, ListUnitPrice, ContractedUnitPrice, SkuId and SkuPriceId, which the
# monitor's lines do not carry (Cost Explorer has no quantity, cost_lines keeps no SKU or unit
# price): only PricingCategory, which the mapping always sets, is required there
PRICED = ("PricingCategory", "PricingQuantity")
REQUIRED_WHEN_PRICED = ("PricingCategory",)


def _paired(row: Row, names: Sequence[str]) -> list[str]:
    """The PAIRED and DEPENDENT rules for the columns the dataset has."""
    return [
        f"{name} must be null when {other} is null"
        for name, other in DEPENDENT
        if name in names and other in names and _blank(row, other) and not _blank(row, name)
    ] + [
        f"{name} must be null exactly when {other} is null"
        for name, other in PAIRED
        if name in names and other in names and _blank(row, name) != _blank(row, other)
    ]


def _charge_rules(row: Row) -> list[str]:
    """The rules the charge category and class set (FOCUS 1.2 column requirements)."""
    category, correction = row.get("ChargeCategory"), row.get("ChargeClass") == "Correction"
    problems = []
    if category != "Usage":
        problems += _null_unless(row, CONSUMED, "ChargeCategory is not Usage")
    if category == "Tax":
        problems += _null_unless(row, PRICED, "ChargeCategory is Tax")
    if category in ("Usage", "Purchase") and not correction:
        problems += [
            f"{name} must not be null on a {category} row that is not a correction"
            for name in REQUIRED_WHEN_PRICED
            if _blank(row, name)
        ]
    if category == "Purchase" and row.get("ChargeFrequency") == "Usage-Based":
        problems.append("ChargeFrequency must not be Usage-Based when ChargeCategory is Purchase")
    return problems


def _commitment_rules(row: Row) -> list[str]:
    """CommitmentDiscount* columns follow CommitmentDiscountId; unused commitment has no usage."""
    if _blank(row, "CommitmentDiscountId"):
        return _null_unless(row, COMMITMENT, "CommitmentDiscountId is null")
    problems = [
        f"{name} must not be null when CommitmentDiscountId is not null"
        for name in ("CommitmentDiscountCategory", "CommitmentDiscountType")
        if _blank(row, name)
    ]
    if row.get("ChargeCategory") == "Usage" and _blank(row, "CommitmentDiscountStatus"):
        problems.append("CommitmentDiscountStatus must not be null on a committed Usage row")
    if row.get("CommitmentDiscountStatus") == "Unused":
        problems += _null_unless(row, ("ConsumedQuantity",), "CommitmentDiscountStatus is Unused")
    return problems


def _row_rules(row: Row, spec: FocusSpec, names: Sequence[str] = ()) -> list[str]:
    """The rules between a row's columns."""
    return (
        _value_rules(row, spec)
        + _charge_rules(row)
        + _commitment_rules(row)
        + _paired(row, names or tuple(row))
    )


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
        problems += [f"row {number}: {problem}" for problem in _row_rules(row, spec, names)]
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
