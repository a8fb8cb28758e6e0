"""Exports: the stored data as finance and scripts want it (CSV or JSON, columns fixed)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from core.models import Alert, BedrockUsageHourly
from core.pricing import InstancePriceCatalog, PriceCatalog
from core.queries.endpoints import EndpointSummary
from core.queries.waste_row import WASTE_FIELDS, WasteRow
from core.timeutil import iso_utc

# The DESIGN.md §3 contract, then columns added since (appended, never reordered).
BEDROCK_USAGE_COLUMNS = (
    "hour",
    "account_id",
    "region",
    "model_id",
    "base_model_id",
    "team",
    "invocations",
    "input_tokens",
    "output_tokens",
    "client_errors",
    "server_errors",
    "throttles",
    "estimated_cost_usd",
    "priced",
    "cache_read_tokens",
    "cache_write_tokens",
    "price_source",
    "price_as_of",
    "endpoint",  # bedrock-runtime, or bedrock-mantle (the OpenAI-compatible and Messages APIs)
)
# The usage tables do not store which price an estimate used: the price columns are read from
# the current catalog when exporting (what the row would be priced at now).
PRICE_COLUMNS = ("price_source", "price_as_of")

# how one column is written, from the value as stored
Format = Callable[[Any], Any]


def money(value: Decimal | None) -> str | None:
    """USD as a decimal string (never a float), or None when unknown."""
    return None if value is None else format(value, "f")


def _when(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def _isoformat(value: date) -> str:
    return value.isoformat()


def _fields(row: Any, columns: Iterable[str], formats: Mapping[str, Format]) -> dict[str, Any]:
    """``columns`` read off ``row`` by name, each through its format where it has one."""
    record = {}
    for column in columns:
        value = getattr(row, column)
        record[column] = formats[column](value) if column in formats else value
    return record


def _price_fields(prices: Iterable[Any]) -> dict[str, str | None]:
    """price_source and price_as_of of the prices behind a row (each distinct one, "; "-joined);
    None when nothing prices it."""
    found = [price for price in prices if price is not None]
    sources = list(dict.fromkeys(price.source for price in found))
    dates = list(dict.fromkeys(price.as_of for price in found))
    return {
        "price_source": "; ".join(sources) or None,
        "price_as_of": "; ".join(dates) or None,
    }


def bedrock_usage_record(row: BedrockUsageHourly, catalog: PriceCatalog) -> dict[str, Any]:
    """One bedrock-usage export record, with the source and date of the price the row was
    estimated with (rows stored before prices were recorded: the model's current price)."""
    formats: dict[str, Format] = {"hour": iso_utc, "estimated_cost_usd": money}
    record = _fields(row, [c for c in BEDROCK_USAGE_COLUMNS if c not in PRICE_COLUMNS], formats)
    if row.price_source is not None:
        record |= {"price_source": row.price_source, "price_as_of": row.price_as_of}
    else:
        record |= _price_fields([catalog.price(row.base_model_id, row.region)])
    return {column: record[column] for column in BEDROCK_USAGE_COLUMNS}


ENDPOINT_BILLED_COLUMNS = ("billed_usd", "billed_source")
# The DESIGN.md §3 contract, then columns added since (appended, never reordered).
ENDPOINT_COLUMNS = (
    "account_id",
    "region",
    "endpoint_name",
    "team",
    "endpoint_type",
    "status",
    "instance_type",
    "instance_count",
    "created_at",
    "deleted_at",
    "hours_in_service",
    "invocations",
    "last_invocation_at",
    "idle_hours",
    "estimated_cost_usd",
    "idle_cost_usd",
    "priced",
    "note",
    "price_source",
    "price_as_of",
    # what the bill says (CUR 2.0 lines of the endpoint's ARN over the same days), and its source
    *ENDPOINT_BILLED_COLUMNS,
)


def _hours(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(Decimal("0.001")))


def _endpoint_note(row: EndpointSummary) -> str | None:
    if row.endpoint_type == "serverless":
        return (
            "serverless: bills per use, priced per GB-second of inference duration (ModelLatency)"
            " x memory; data processed not estimated; never idle waste"
        )
    if row.endpoint_type == "async" and row.scales_to_zero:
        return "async, scales to zero: not idle waste"
    if row.multi_model:
        return (
            "multi-model: CloudWatch has no per-model metrics; invocations are the endpoint's total"
        )
    if not row.priced:
        return "some hours are unpriced: an instance type is missing from the price catalog"
    return None


def endpoint_record(row: EndpointSummary, catalog: InstancePriceCatalog) -> dict[str, Any]:
    """One endpoints export record, with the source and date of its instance types' current prices."""
    formats: dict[str, Format] = {
        "created_at": iso_utc,
        "deleted_at": _when,
        "hours_in_service": _hours,
        "last_invocation_at": _when,
        "idle_hours": _hours,
        "estimated_cost_usd": money,
        "idle_cost_usd": money,
        "billed_usd": money,
    }
    types = (row.instance_type or "").split(",")
    estimated = ENDPOINT_COLUMNS[: -1 - len(PRICE_COLUMNS) - len(ENDPOINT_BILLED_COLUMNS)]
    return {
        **_fields(row, estimated, formats),
        "note": _endpoint_note(row),
        **_price_fields(catalog.price(t, row.region) for t in types if t),
        **_fields(row, ENDPOINT_BILLED_COLUMNS, formats),
    }


ALERT_COLUMNS = (
    "rule",
    "subject",
    "team",
    "severity",
    "state",
    "opened_at",
    "last_notified_at",
    "resolved_at",
    "message",
)


def alert_record(alert: Alert) -> dict[str, Any]:
    """One alerts export record."""
    formats = {"opened_at": iso_utc, "last_notified_at": _when, "resolved_at": _when}
    return _fields(alert, ALERT_COLUMNS, formats)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_csv(records: Iterable[dict[str, Any]], columns: tuple[str, ...], out: IO[str]) -> int:
    """Write a header row and one row per record; returns the number of records."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([_csv_value(record[column]) for column in columns])
        count += 1
    return count


def write_json(records: Iterable[dict[str, Any]], columns: tuple[str, ...], out: IO[str]) -> int:
    """Write a JSON list of objects, streamed record by record; returns the number of records."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps({column: record[column] for column in columns}))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


WRITERS: dict[str, Callable[[Iterable[dict[str, Any]], tuple[str, ...], IO[str]], int]] = {
    "csv": write_csv,
    "json": write_json,
}


@contextmanager
def output(path: str | None, stdout: IO[str]) -> Iterator[IO[str]]:
    """Standard output, or a file that appears whole only once writing succeeded."""
    if path is None or path == "-":
        yield stdout
        return
    target = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# The DESIGN.md §3 contract for `export costs`, in this order.
COST_COLUMNS = (
    "day",
    "account_id",
    "service",
    "usage_group",
    "team",
    "amount_usd",
    "estimated",
)


def cost_record(row: Any) -> dict[str, Any]:
    """One costs export record from a cost_daily row (day as YYYY-MM-DD, money as a decimal string)."""
    return _fields(row, COST_COLUMNS, {"day": _isoformat, "amount_usd": money})


def waste_record(row: WasteRow) -> dict[str, Any]:
    """One `waste` record (DESIGN §3): times ISO 8601 UTC, money as decimal strings, hours as a number."""
    formats: dict[str, Format] = {
        "idle_since": iso_utc,
        "idle_hours": _hours,
        "burnt_usd": money,
        "monthly_usd": money,
    }
    return _fields(row, WASTE_FIELDS, formats)


# The DESIGN.md §3 contract for `export principals`, in this order (metadata: the configured
# request-metadata values of the calls as canonical JSON, "{}" when none).
PRINCIPAL_COLUMNS = (
    "hour",
    "account_id",
    "region",
    "principal",
    "model_id",
    "team",
    "metadata",
    "invocations",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "estimated_cost_usd",
    "source",
)


def principal_record(row: Any) -> dict[str, Any]:
    """One `export principals` record from a principal_usage_hourly row (money as a decimal
    string, None when unpriced; the hour ISO 8601 UTC)."""
    record = _fields(
        row,
        [c for c in PRINCIPAL_COLUMNS if c != "metadata"],
        {"hour": iso_utc, "estimated_cost_usd": money},
    )
    record["metadata"] = row.request_metadata
    return {column: record[column] for column in PRINCIPAL_COLUMNS}
