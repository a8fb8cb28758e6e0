"""Exports: the stored data as finance and scripts want it (CSV or JSON, columns fixed)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from core.models import Alert, BedrockUsageHourly
from core.queries.endpoints import EndpointSummary
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
)


def money(value: Decimal | None) -> str | None:
    """USD as a decimal string (never a float), or None when unknown."""
    return None if value is None else format(value, "f")


def bedrock_usage_record(row: BedrockUsageHourly) -> dict[str, Any]:
    """One bedrock-usage export record."""
    return {
        "hour": iso_utc(row.hour),
        "account_id": row.account_id,
        "region": row.region,
        "model_id": row.model_id,
        "base_model_id": row.base_model_id,
        "team": row.team,
        "invocations": row.invocations,
        "input_tokens": row.input_tokens,
        "output_tokens": row.output_tokens,
        "client_errors": row.client_errors,
        "server_errors": row.server_errors,
        "throttles": row.throttles,
        "estimated_cost_usd": money(row.estimated_cost_usd),
        "priced": row.priced,
        "cache_read_tokens": row.cache_read_tokens,
        "cache_write_tokens": row.cache_write_tokens,
    }


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
)


def _hours(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(Decimal("0.001")))


def _endpoint_note(row: EndpointSummary) -> str | None:
    if row.endpoint_type == "serverless":
        return "serverless: bills per use; not priced from instance-hours and never idle waste"
    if row.endpoint_type == "async" and row.scales_to_zero:
        return "async, scales to zero: not idle waste"
    if row.multi_model:
        return (
            "multi-model: CloudWatch has no per-model metrics; invocations are the endpoint's total"
        )
    if not row.priced:
        return "some hours are unpriced: an instance type is missing from the price catalog"
    return None


def endpoint_record(row: EndpointSummary) -> dict[str, Any]:
    """One endpoints export record."""
    return {
        "account_id": row.account_id,
        "region": row.region,
        "endpoint_name": row.endpoint_name,
        "team": row.team,
        "endpoint_type": row.endpoint_type,
        "status": row.status,
        "instance_type": row.instance_type,
        "instance_count": row.instance_count,
        "created_at": iso_utc(row.created_at),
        "deleted_at": iso_utc(row.deleted_at) if row.deleted_at else None,
        "hours_in_service": _hours(row.hours_in_service),
        "invocations": row.invocations,
        "last_invocation_at": iso_utc(row.last_invocation_at) if row.last_invocation_at else None,
        "idle_hours": _hours(row.idle_hours),
        "estimated_cost_usd": money(row.estimated_cost_usd),
        "idle_cost_usd": money(row.idle_cost_usd),
        "priced": row.priced,
        "note": _endpoint_note(row),
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
    return {
        "rule": alert.rule,
        "subject": alert.subject,
        "team": alert.team,
        "severity": alert.severity,
        "state": alert.state,
        "opened_at": iso_utc(alert.opened_at),
        "last_notified_at": iso_utc(alert.last_notified_at) if alert.last_notified_at else None,
        "resolved_at": iso_utc(alert.resolved_at) if alert.resolved_at else None,
        "message": alert.message,
    }


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
    return {
        "day": row.day.isoformat(),
        "account_id": row.account_id,
        "service": row.service,
        "usage_group": row.usage_group,
        "team": row.team,
        "amount_usd": money(row.amount_usd),
        "estimated": row.estimated,
    }
