"""Writing invocation-log tallies (load): exactly once per S3 object, replaced per CloudWatch window.

S3: an object's rows are *added* to principal_usage_hourly in the same transaction that writes
its ledger row (invocation_log_objects) and advances the cursor; an object the ledger already
holds is skipped, so a second cycle or a backfill over the same range changes nothing.
CloudWatch Logs: a window's rows are re-aggregated from its events and replace the stored ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collector.invocation_log_records import COUNT_COLUMNS
from core.aws import Target
from core.db import upsert
from core.models_principals import InvocationLogCursor, InvocationLogObject, PrincipalUsageHourly

KEY_COLUMNS = ("hour", "principal", "model_id", "request_metadata")
# ledger keys looked up per statement (well under every dialect's bound-parameter limit)
LOOKUP_CHUNK = 500


@dataclass
class ObjectRows:
    """One S3 object's rows and its ledger facts."""

    key: str
    size: int
    records: int
    malformed: int
    truncated: bool
    rows: list[dict[str, Any]]


@dataclass
class LoadableWindow:
    """One window of one target, ready to load: per-object rows (S3) or the window's rows (logs)."""

    target: Target
    destination: str
    source: str
    start: datetime
    end: datetime
    collected_at: datetime
    objects: list[ObjectRows] = field(default_factory=list)
    rows: list[dict[str, Any]] | None = None  # CloudWatch Logs: the window's replacement rows
    records: int = 0
    malformed: int = 0


def ledger_keys(
    session: Session, target: Target, destination: str, keys: Sequence[str]
) -> set[str]:
    """Which of ``keys`` the ledger holds already."""
    found: set[str] = set()
    for offset in range(0, len(keys), LOOKUP_CHUNK):
        chunk = list(keys[offset : offset + LOOKUP_CHUNK])
        found.update(
            session.scalars(
                select(InvocationLogObject.key).where(
                    InvocationLogObject.account_id == target.account_id,
                    InvocationLogObject.region == target.region,
                    InvocationLogObject.destination == destination,
                    InvocationLogObject.key.in_(chunk),
                )
            )
        )
    return found


def ledger_range(
    session: Session, target: Target, destination: str, first: str, stop: str
) -> set[str]:
    """The ledger's keys in [first, stop) (what a window's listing may skip)."""
    return set(
        session.scalars(
            select(InvocationLogObject.key).where(
                InvocationLogObject.account_id == target.account_id,
                InvocationLogObject.region == target.region,
                InvocationLogObject.destination == destination,
                InvocationLogObject.key >= first,
                InvocationLogObject.key < stop,
            )
        )
    )


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in KEY_COLUMNS)


def _add_cost(left: Decimal | None, right: Decimal | None) -> Decimal | None:
    """An unknown price anywhere makes the sum unknown (never $0)."""
    return None if left is None or right is None else left + right


def merge_rows(rows: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rows of the same key summed (counts and cost)."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        known = merged.get(_key(row))
        if known is None:
            merged[_key(row)] = dict(row)
            continue
        for column in COUNT_COLUMNS:
            known[column] += row[column]
        known["estimated_cost_usd"] = _add_cost(
            known["estimated_cost_usd"], row["estimated_cost_usd"]
        )
        known["priced"] = known["estimated_cost_usd"] is not None
        known["price_source"] = known["price_source"] if known["priced"] else None
    return merged


def _stored(session: Session, target: Target, hours: set[datetime]) -> dict[tuple[Any, ...], Any]:
    statement = select(PrincipalUsageHourly).where(
        PrincipalUsageHourly.account_id == target.account_id,
        PrincipalUsageHourly.region == target.region,
        PrincipalUsageHourly.hour.in_(sorted(hours)),
    )
    return {
        (model.hour, model.principal, model.model_id, model.request_metadata): model
        for model in session.scalars(statement)
    }


def add_rows(session: Session, target: Target, rows: list[dict[str, Any]]) -> int:
    """Add rows' counts and cost to the stored rows of their keys (new keys are inserted)."""
    merged = merge_rows(rows)
    if not merged:
        return 0
    stored = _stored(session, target, {key[0] for key in merged})
    for key, row in merged.items():
        known = stored.get(key)
        if known is None:
            continue
        for column in COUNT_COLUMNS:
            row[column] += getattr(known, column)
        row["estimated_cost_usd"] = _add_cost(row["estimated_cost_usd"], known.estimated_cost_usd)
        row["priced"] = row["estimated_cost_usd"] is not None
        if not row["priced"]:
            row["price_source"] = None
    return upsert(session, PrincipalUsageHourly, list(merged.values()))


def _advance_cursor(session: Session, window: LoadableWindow, position: str, objects: int) -> None:
    target = window.target
    cursor = session.get(
        InvocationLogCursor, (target.account_id, target.region, window.destination)
    )
    if cursor is None:
        cursor = InvocationLogCursor(
            account_id=target.account_id,
            region=target.region,
            destination=window.destination,
            position=position,
            objects_read=0,
            records_read=0,
            malformed_records=0,
            updated_at=window.collected_at,
        )
        session.add(cursor)
    cursor.position = max(cursor.position, position)
    cursor.objects_read += objects
    cursor.records_read += window.records
    cursor.malformed_records += window.malformed
    cursor.updated_at = window.collected_at
    session.flush()


def load_objects(session: Session, window: LoadableWindow) -> int:
    """Add the objects the ledger does not hold yet, write their ledger rows, advance the cursor."""
    target = window.target
    held = ledger_keys(session, target, window.destination, [item.key for item in window.objects])
    fresh = [item for item in window.objects if item.key not in held]
    if not fresh:
        return 0
    written = add_rows(session, target, [row for item in fresh for row in item.rows])
    session.add_all(
        InvocationLogObject(
            account_id=target.account_id,
            region=target.region,
            destination=window.destination,
            key=item.key,
            size=item.size,
            records=item.records,
            malformed_records=item.malformed,
            truncated=item.truncated,
            read_at=window.collected_at,
        )
        for item in fresh
    )
    window.records = sum(item.records for item in fresh)
    window.malformed = sum(item.malformed + int(item.truncated) for item in fresh)
    _advance_cursor(session, window, max(item.key for item in fresh), len(fresh))
    return written + len(fresh)


def replace_window(session: Session, window: LoadableWindow) -> int:
    """Replace the window's CloudWatch Logs rows by its re-aggregated ones."""
    target = window.target
    session.execute(
        delete(PrincipalUsageHourly).where(
            PrincipalUsageHourly.account_id == target.account_id,
            PrincipalUsageHourly.region == target.region,
            PrincipalUsageHourly.source == window.source,
            PrincipalUsageHourly.hour >= window.start,
            PrincipalUsageHourly.hour < window.end,
        )
    )
    rows = list(merge_rows(window.rows or []).values())
    written = upsert(session, PrincipalUsageHourly, rows)
    _advance_cursor(session, window, window.end.isoformat(), 0)
    return written
