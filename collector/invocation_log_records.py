"""Invocation-log records -> per (hour, principal, model, request metadata) tallies (pure).

Only the metadata fields of a record are read: timestamp, identity.arn, modelId, the token
counts in ``input``/``output`` and the configured ``requestMetadata`` keys. The prompt and
completion bodies are parsed along with the line (JSON has no partial parse) and dropped at
once; nothing here ever returns, logs or raises them.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from core.models_principals import NO_METADATA
from core.timeutil import floor_hour, parse_timestamp

# the optional cache token fields of `input`, in TallyKey order after input/output
CACHE_FIELDS = ("cacheReadInputTokenCount", "cacheWriteInputTokenCount")
COUNT_COLUMNS = (
    "invocations",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
)


class TruncatedObject(Exception):
    """A gzip object ended before its end-of-stream marker (or is not gzip at all)."""


@dataclass(frozen=True, order=True)
class TallyKey:
    """What one tally row is about."""

    hour: datetime
    principal: str
    model_id: str
    request_metadata: str


@dataclass(frozen=True)
class LoggedCall:
    """The metadata of one logged call (never its text)."""

    key: TallyKey
    counts: tuple[int, int, int, int, int]


@dataclass
class Tally:
    """Counts per key, plus how many records were read and how many were malformed."""

    counts: dict[TallyKey, list[int]] = field(default_factory=dict)
    records: int = 0
    malformed: int = 0
    truncated: bool = False

    def add(self, call: LoggedCall | None) -> None:
        """Count one parsed record (None: a malformed one)."""
        self.records += 1
        if call is None:
            self.malformed += 1
            return
        row = self.counts.get(call.key)
        if row is None:
            self.counts[call.key] = list(call.counts)
        else:
            for index, value in enumerate(call.counts):
                row[index] += value

    def merge(self, other: Tally) -> None:
        """Add another tally's counts into this one."""
        for key, values in other.counts.items():
            row = self.counts.setdefault(key, [0] * len(COUNT_COLUMNS))
            for index, value in enumerate(values):
                row[index] += value
        self.records += other.records
        self.malformed += other.malformed
        self.truncated = self.truncated or other.truncated


def _count(value: Any) -> int | None:
    """A token count: a non-negative integer (bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def canonical_metadata(metadata: Any, keys: Sequence[str]) -> str:
    """The configured requestMetadata keys as canonical JSON (sorted, compact; "{}" when none)."""
    if not keys or not isinstance(metadata, dict):
        return NO_METADATA
    kept = {key: str(metadata[key]) for key in keys if metadata.get(key) not in (None, "")}
    if not kept:
        return NO_METADATA
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))


def stored_model_id(model_id: str) -> str:
    """A logged modelId as bedrock_usage_hourly stores it: an ARN's last path part (the model,
    system profile or application profile id), else the id itself."""
    if model_id.startswith("arn:") and "/" in model_id:
        return model_id.rsplit("/", 1)[1]
    return model_id


def _parts(entry: Any) -> tuple[str, str, str, dict[str, Any], dict[str, Any]] | None:
    """A record's principal, modelId, timestamp, input and output (None: one is missing)."""
    if not isinstance(entry, dict):
        return None
    logged_input, logged_output = entry.get("input"), entry.get("output") or {}
    identity = entry.get("identity")
    if not (
        isinstance(logged_input, dict)
        and isinstance(logged_output, dict)
        and isinstance(identity, dict)
    ):
        return None
    principal, model_id, stamp = identity.get("arn"), entry.get("modelId"), entry.get("timestamp")
    if not (
        isinstance(principal, str)
        and isinstance(model_id, str)
        and isinstance(stamp, str)
        and principal
        and model_id
    ):
        return None
    return principal, model_id, stamp, logged_input, logged_output


def parse_record(
    raw: bytes | str, metadata_keys: Sequence[str], hour: datetime | None = None
) -> LoggedCall | None:
    """One record's metadata, or None when the line is not a record (not JSON, fields missing);
    ``hour`` (a log event's own hour) replaces the record timestamp's."""
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    parts = _parts(entry)
    if parts is None:
        return None
    principal, model_id, stamp, logged_input, logged_output = parts
    try:
        hour = hour or floor_hour(parse_timestamp(stamp))
    except ValueError:
        return None
    counts = [
        _count(logged_input.get("inputTokenCount")),
        _count(logged_output.get("outputTokenCount", 0)),
        *(_count(logged_input.get(name, 0)) for name in CACHE_FIELDS),
    ]
    known = [value for value in counts if value is not None]
    if len(known) != len(counts):
        return None
    metadata = canonical_metadata(entry.get("requestMetadata"), metadata_keys)
    key = TallyKey(hour, principal, stored_model_id(model_id), metadata)
    return LoggedCall(key, (1, known[0], known[1], known[2], known[3]))


def tally_lines(lines: Iterable[bytes | str], metadata_keys: Sequence[str]) -> Tally:
    """Tally records one line at a time (blank lines are not records)."""
    tally = Tally()
    for raw in lines:
        if raw.strip():
            tally.add(parse_record(raw, metadata_keys))
    return tally


def gzip_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of a gzip stream, decoded as they are read (memory: one line, never the object).

    Raises TruncatedObject where the stream stops decoding; the lines before it were yielded.
    """
    reader = gzip.GzipFile(fileobj=stream, mode="rb")
    try:
        yield from reader
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise TruncatedObject(type(exc).__name__) from None
    finally:
        reader.close()


def tally_gzip(stream: IO[bytes], metadata_keys: Sequence[str]) -> Tally:
    """Tally a gzip'd JSON-lines stream; a truncated one keeps what decoded and says so."""
    tally = Tally()
    lines = gzip_lines(stream)
    try:
        for raw in lines:
            if raw.strip():
                tally.add(parse_record(raw, metadata_keys))
    except TruncatedObject:
        tally.truncated = True
    return tally
