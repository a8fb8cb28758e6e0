"""Reading Bedrock model invocation logs where GetModelInvocationLoggingConfiguration points (get).

S3: Bedrock delivers gzip'd JSON lines under ``<keyPrefix>/AWSLogs/<account>/
BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/``, so key order is delivery-time order: a
window [start, end) is the keys from the start hour's folder (ListObjectsV2 ``StartAfter``,
paged) up to the end hour's. Each object is streamed (gzip over the StreamingBody, one line at a
time) and tallied at once: memory stays flat in the object's size.

CloudWatch Logs: one record per event; a window is read by time with FilterLogEvents (paged by
``nextToken``), each event counted in the hour of its own timestamp.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collector.invocation_log_records import Tally, parse_record, tally_gzip
from core.aws import Target, pages, translated_errors
from core.timeutil import floor_hour

log = logging.getLogger(__name__)

S3 = "s3"
CLOUDWATCH_LOGS = "cloudwatch_logs"


@dataclass(frozen=True)
class Destination:
    """Where one target's invocation logs are delivered: an S3 bucket/prefix or a log group."""

    kind: str  # S3 or CLOUDWATCH_LOGS
    bucket: str = ""
    prefix: str = ""
    group: str = ""

    @property
    def name(self) -> str:
        """The cursor's destination column: ``s3://bucket/prefix`` or ``logs:<group>``."""
        if self.kind == S3:
            return f"s3://{self.bucket}/{self.prefix}"
        return f"logs:{self.group}"

    def folder(self, target: Target) -> str:
        """The key prefix of one account/region's objects."""
        base = f"{self.prefix.strip('/')}/" if self.prefix.strip("/") else ""
        return f"{base}AWSLogs/{target.account_id}/BedrockModelInvocationLogs/{target.region}/"

    def hour_key(self, target: Target, hour: datetime) -> str:
        """The key every object of ``hour`` (and later) sorts after."""
        return f"{self.folder(target)}{hour:%Y/%m/%d/%H}"


def destination(answer: dict[str, Any], prefer: str) -> Destination | None:
    """The one destination to read from a GetModelInvocationLoggingConfiguration answer (None:
    logging is off). Both configured: ``prefer`` decides, so no call is counted twice."""
    config = answer.get("loggingConfig") or {}
    s3 = config.get("s3Config") or {}
    logs = config.get("cloudWatchConfig") or {}
    found = {}
    if s3.get("bucketName"):
        found[S3] = Destination(S3, bucket=s3["bucketName"], prefix=s3.get("keyPrefix") or "")
    if logs.get("logGroupName"):
        found[CLOUDWATCH_LOGS] = Destination(CLOUDWATCH_LOGS, group=logs["logGroupName"])
    if not found:
        return None
    return found.get(prefer) or next(iter(found.values()))


def logging_configuration(bedrock: Any) -> dict[str, Any]:
    """GetModelInvocationLoggingConfiguration's answer, as it came."""
    with translated_errors("bedrock", "GetModelInvocationLoggingConfiguration"):
        answer: dict[str, Any] = bedrock.get_model_invocation_logging_configuration()
    return answer


@dataclass(frozen=True)
class ObjectRead:
    """One S3 object's tally (its key names it in the ledger)."""

    key: str
    size: int
    tally: Tally


def list_keys(
    s3: Any, where: Destination, target: Target, start: datetime, end: datetime
) -> Iterator[tuple[str, int]]:
    """The (key, size) of the objects delivered in [start, end), in key order."""
    first, stop = where.hour_key(target, start), where.hour_key(target, end)
    for page in pages(
        s3,
        "list_objects_v2",
        token_param="ContinuationToken",
        token_key="NextContinuationToken",
        Bucket=where.bucket,
        Prefix=where.folder(target),
        StartAfter=first,
    ):
        for item in page.get("Contents", []):
            if item["Key"] >= stop:
                return
            yield item["Key"], int(item.get("Size", 0))


def read_object(
    s3: Any, where: Destination, key: str, size: int, metadata_keys: Sequence[str]
) -> ObjectRead:
    """Stream one object and tally its records; a truncated one keeps what decoded, with a warning."""
    with translated_errors("s3", "GetObject"):
        body = s3.get_object(Bucket=where.bucket, Key=key)["Body"]
        try:
            tally = tally_gzip(body, metadata_keys)
        finally:
            body.close()
    if tally.truncated:
        log.warning(
            "invocation logs: s3://%s/%s is truncated or not gzip: kept the %d records before the "
            "break",
            where.bucket,
            key,
            tally.records,
        )
    if tally.malformed:
        log.warning(
            "invocation logs: s3://%s/%s: skipped %d malformed records",
            where.bucket,
            key,
            tally.malformed,
        )
    return ObjectRead(key, size, tally)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def read_log_events(
    logs: Any, where: Destination, start: datetime, end: datetime, metadata_keys: Sequence[str]
) -> Tally:
    """Tally the group's events of [start, end), each in the hour of its own timestamp."""
    tally = Tally()
    for page in pages(
        logs,
        "filter_log_events",
        token_param="nextToken",
        logGroupName=where.group,
        startTime=_ms(start),
        endTime=_ms(end) - 1,  # endTime is inclusive
    ):
        for event in page.get("events", []):
            at = datetime.fromtimestamp(event["timestamp"] / 1000, tz=UTC)
            tally.add(parse_record(event.get("message", ""), metadata_keys, floor_hour(at)))
    if tally.malformed:
        log.warning(
            "invocation logs: log group %s: skipped %d malformed records between %s and %s",
            where.group,
            tally.malformed,
            start.isoformat(),
            end.isoformat(),
        )
    return tally
