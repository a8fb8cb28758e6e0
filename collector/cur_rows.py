"""The CUR source's pure parts: the export's objects per billing period, what changed, and the
aggregated SELECT rows -> `cost_lines` rows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from collector.cur_sql import OUTPUT_COLUMNS
from core.services import MARKETPLACE_SUFFIX
from core.settings import UNATTRIBUTED

SOURCE = "cur"
PERIOD_FOLDER = re.compile(r"/(data|metadata)/BILLING_PERIOD=(\d{4}-\d{2})/")
TOKEN_USAGE = re.compile(r"-(input|output|cache[a-z0-9]*)-tokens", re.IGNORECASE)
MONEY_FIELDS = ("unblended_usd", "net_usd", "amortized_usd", "list_usd", "usage_quantity")


@dataclass(frozen=True)
class ExportObject:
    """One object of the export as S3 lists it."""

    key: str
    etag: str
    last_modified: datetime
    size: int
    billing_period: str
    kind: str  # data or metadata

    @property
    def is_parquet(self) -> bool:
        """A data file the engine reads."""
        return self.kind == "data" and self.key.endswith(".parquet")


def export_base(prefix: str, export_name: str) -> str:
    """The key prefix under which an export writes its data/ and metadata/ folders."""
    prefix = prefix.strip("/")
    return f"{prefix}/{export_name}/" if prefix else f"{export_name}/"


def parse_listing(
    contents: Iterable[Mapping[str, Any]], base: str
) -> dict[str, list[ExportObject]]:
    """ListObjectsV2 ``Contents`` entries -> the export's objects per billing period.

    Only ``<base>data/BILLING_PERIOD=YYYY-MM/...`` and ``<base>metadata/BILLING_PERIOD=...``
    count; anything else under the prefix (another export, a folder marker) is ignored.
    """
    periods: dict[str, list[ExportObject]] = {}
    for entry in contents:
        key = str(entry["Key"])
        match = PERIOD_FOLDER.match("/" + key[len(base) :]) if key.startswith(base) else None
        if match is None or key.endswith("/"):
            continue
        kind, period = match.groups()
        periods.setdefault(period, []).append(
            ExportObject(
                key,
                str(entry["ETag"]).strip('"'),
                entry["LastModified"],
                int(entry.get("Size", 0)),
                period,
                kind,
            )
        )
    return periods


def changed(objects: Sequence[ExportObject], stored: Mapping[str, tuple[str, datetime]]) -> bool:
    """Whether any object of a period is new, changed or gone since it was last loaded."""
    if {obj.key for obj in objects} != set(stored):
        return True
    for obj in objects:
        etag, last_modified = stored[obj.key]
        if etag != obj.etag or not _same_instant(last_modified, obj.last_modified):
            return True
    return False


def _same_instant(a: datetime, b: datetime) -> bool:
    # SQLite returns naive UTC datetimes: compare as UTC, to the second (S3's precision)
    a = a.replace(tzinfo=None) if a.tzinfo is None else a.astimezone(b.tzinfo).replace(tzinfo=None)
    b = b.replace(tzinfo=None)
    return a.replace(microsecond=0) == b.replace(microsecond=0)


def manifest_files(text: str | bytes, bucket: str) -> list[str] | None:
    """The data file keys a period's manifest names, or None when it names none we can read.

    Every string in the manifest ending in ``.parquet`` counts (``s3://bucket/key`` or a bare
    key): the manifest's field names have changed over time, its file list has not.
    """
    try:
        document = json.loads(text)
    except ValueError:
        return None
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node.endswith(".parquet"):
            prefix = f"s3://{bucket}/"
            found.append(node[len(prefix) :] if node.startswith(prefix) else node)

    walk(document)
    return sorted(set(found)) or None


def model_of(service: str, usage_type: str) -> str | None:
    """The model a line bills, where its names say it: a Marketplace service's model, or the
    model part of a Bedrock usage type (``USE1-Claude3.5Sonnet-input-tokens`` -> Claude3.5Sonnet)."""
    if service.endswith(MARKETPLACE_SUFFIX):
        return service[: -len(MARKETPLACE_SUFFIX)].strip() or None
    if service != "Amazon Bedrock":
        return None
    parts = usage_type.split("-")
    if len(parts) >= 3 and TOKEN_USAGE.search(usage_type):
        return parts[1] or None
    return None


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


_TEXT = [(n, name) for n, name in enumerate(OUTPUT_COLUMNS) if name not in MONEY_FIELDS]
_MONEY = [(n, name) for n, name in enumerate(OUTPUT_COLUMNS) if name in MONEY_FIELDS]


def line_row(values: Sequence[Any], billing_period: str, collected_at: datetime) -> dict[str, Any]:
    """One SELECT row (``OUTPUT_COLUMNS`` order) -> a cost_lines row."""
    if len(values) != len(OUTPUT_COLUMNS):
        raise ValueError(f"expected {len(OUTPUT_COLUMNS)} columns, got {len(values)}")
    text = {name: str(values[n] or "") for n, name in _TEXT}
    day = values[0]
    row = {
        "day": day.date() if isinstance(day, datetime) else _as_date(day),
        "source": SOURCE,
        "account_id": text["account_id"],
        "region": text["region"],
        "service": text["service"],
        "usage_type": text["usage_type"],
        "resource_id": text["resource_id"],
        "principal": text["principal"],
        "team": text["team"] or UNATTRIBUTED,
        "line_type": text["line_type"],
        "billing_period": billing_period,
        "product_code": text["product_code"] or None,
        "model": model_of(text["service"], text["usage_type"]),
        "pricing_unit": text["pricing_unit"] or None,
        "collected_at": collected_at,
    }
    for n, name in _MONEY:
        row[name] = _decimal(values[n])
    return row


def cost_line_rows(
    selected: Iterable[Sequence[Any]], billing_period: str, collected_at: datetime
) -> Iterator[dict[str, Any]]:
    """The SELECT's rows (``OUTPUT_COLUMNS`` order) -> cost_lines rows, one by one: the SELECT
    groups on the table's key (the team resolved in SQL), so no two rows need merging."""
    for values in selected:
        yield line_row(values, billing_period, collected_at)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
