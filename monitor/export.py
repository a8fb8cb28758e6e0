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

from core.models import BedrockUsageHourly
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
