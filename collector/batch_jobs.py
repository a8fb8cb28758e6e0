"""Bedrock batch inference jobs -> batch_jobs, their tokens priced at the batch rate.

get (ListModelInvocationJobs per window of submit times, paged; ListTagsForResource per job;
for a job that has ended, its output manifest ``<output uri>/<job id>/manifest.json.out`` from
S3 once: it holds the job's input and output token counts) -> transform (pure: ``job_rows``)
-> load (upsert on account, region, ARN). The List returns the records processed and failed: no
per-job Get follows it. Jobs run for up to a week, so a cycle re-reads the last seven days.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.bedrock_control import Page, list_pages, tag_pages
from collector.provisioned_lives import aws_time
from collector.runner import HourlyRegionalSource
from collector.sagemaker_lives import team_of
from core.aws import AwsDenied, AwsFatal, ClientFactoryFn, Target, translated_errors
from core.db import upsert
from core.models import BatchJob
from core.pricing import PriceCatalog, TokenUsage, estimate_cost
from core.registry import SourceDeps, SourceEntry, sources
from core.settings import AttributionConfig, Duration, MonitorConfig, SourceConfig

log = logging.getLogger(__name__)

SOURCE = "batch_jobs"
ENDED = frozenset({"Completed", "PartiallyCompleted"})
MANIFEST = "manifest.json.out"


class BatchJobsConfig(SourceConfig):
    """`collection.batch_jobs`: a job's status and counts change until it ends (up to 7 days)."""

    lookback: Duration = timedelta(days=7)


@dataclass(frozen=True)
class JobAnswers:
    """One window's job pages, each job's tags and the manifests read, as AWS answered."""

    start: datetime
    end: datetime
    pages: list[Page]
    tags: dict[str, list[Page]] = field(default_factory=dict)
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)


def manifest_location(summary: Page) -> tuple[str, str] | None:
    """(bucket, key) of a job's output manifest, or None without an S3 output."""
    uri = ((summary.get("outputDataConfig") or {}).get("s3OutputDataConfig") or {}).get("s3Uri")
    if not uri or not uri.startswith("s3://"):
        return None
    bucket, _, prefix = uri[5:].partition("/")
    job_id = summary["jobArn"].rsplit("/", 1)[-1]
    prefix = prefix.rstrip("/")
    return bucket, f"{prefix}/{job_id}/{MANIFEST}" if prefix else f"{job_id}/{MANIFEST}"


def read_manifest(s3: Any, summary: Page) -> dict[str, Any] | None:
    """A job's output manifest, or None when it is missing or not readable (a warning)."""
    location = manifest_location(summary)
    if location is None:
        return None
    bucket, key = location
    try:
        with translated_errors("s3", "GetObject"):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (AwsDenied, AwsFatal) as exc:
        log.warning(
            "batch job %s: its manifest s3://%s/%s is not readable (%s): tokens unknown",
            summary["jobArn"],
            bucket,
            key,
            exc,
        )
        return None
    answer: dict[str, Any] = json.loads(body)
    return answer


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def job_row(
    summary: Page,
    tags: list[Page],
    manifest: dict[str, Any] | None,
    *,
    target: Target,
    attribution: AttributionConfig,
    catalog: PriceCatalog,
    collected_at: datetime,
) -> dict[str, Any]:
    """One job's row: records, tokens from its manifest, cost at the batch and on-demand rates."""
    tag_map = {t["key"]: t["value"] for page in tags for t in page.get("tags", [])}
    tokens_in = _count((manifest or {}).get("inputTokenCount"))
    tokens_out = _count((manifest or {}).get("outputTokenCount"))
    model = summary["modelId"]
    batch = on_demand = None
    price = catalog.price(model, target.region, batch=True)
    if tokens_in is not None and tokens_out is not None:
        usage = TokenUsage(input_tokens=tokens_in, output_tokens=tokens_out)
        batch = estimate_cost(price, usage)
        on_demand = estimate_cost(catalog.price(model, target.region), usage)
    return {
        "account_id": target.account_id,
        "region": target.region,
        "arn": summary["jobArn"],
        "name": summary["jobName"],
        "model_id": model,
        "status": summary.get("status"),
        "submitted_at": aws_time(summary["submitTime"]),
        "ended_at": aws_time(summary.get("endTime")),
        "total_records": _count(summary.get("totalRecordCount")),
        "processed_records": _count(summary.get("processedRecordCount")),
        "success_records": _count(summary.get("successRecordCount")),
        "error_records": _count(summary.get("errorRecordCount")),
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "estimated_cost_usd": batch,
        "on_demand_cost_usd": on_demand,
        "priced": batch is not None,
        "price_source": price.source if batch is not None and price else None,
        "team": team_of(tag_map, attribution, target.default_team),
        "tags": dict(sorted(tag_map.items())),
        "collected_at": collected_at,
    }


@dataclass
class PreparedTarget:
    """One target's stored jobs: those whose tokens are known need no manifest read again."""

    target: Target
    known: dict[str, dict[str, Any]]


def stored_jobs(
    session: Session, target: Target, start: datetime, end: datetime
) -> dict[str, dict[str, Any]]:
    """The manifests already read for the target's jobs submitted in [start, end), by ARN."""
    statement = select(
        BatchJob.arn, BatchJob.status, BatchJob.input_tokens, BatchJob.output_tokens
    ).where(
        BatchJob.account_id == target.account_id,
        BatchJob.region == target.region,
        BatchJob.submitted_at >= start,
        BatchJob.submitted_at < end,
        BatchJob.input_tokens.is_not(None),
    )
    return {
        arn: {"status": status, "inputTokenCount": tokens_in, "outputTokenCount": tokens_out}
        for arn, status, tokens_in, tokens_out in session.execute(statement)
    }


class BatchJobsCollector(HourlyRegionalSource):
    """Collects each target's batch inference jobs by the window of their submit time."""

    name = SOURCE

    def __init__(
        self, config: MonitorConfig, clients: ClientFactoryFn, catalog: PriceCatalog
    ) -> None:
        self.config = config
        self.clients = clients
        self.catalog = catalog

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """Read which stored jobs already have their tokens."""
        return PreparedTarget(target, stored_jobs(session, target, start, end))

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> JobAnswers:
        """The jobs submitted in the window, their tags, and the manifests not read yet."""
        client = self.clients("bedrock", prepared.target)
        # the filters are exclusive: ask from a second earlier, keep [start, end) in transform
        answers = JobAnswers(
            start,
            end,
            list_pages(
                client,
                "list_model_invocation_jobs",
                submitTimeAfter=start - timedelta(seconds=1),
                submitTimeBefore=end,
            ),
        )
        for page in answers.pages:
            for summary in page.get("invocationJobSummaries", []):
                arn = summary["jobArn"]
                answers.tags[arn] = tag_pages(client, arn)
                known = prepared.known.get(arn)
                if known is not None and known["status"] == summary.get("status"):
                    answers.manifests[arn] = known
                elif summary.get("status") in ENDED:
                    manifest = read_manifest(self.clients("s3", prepared.target), summary)
                    if manifest is not None:
                        answers.manifests[arn] = manifest
        return answers

    def transform(
        self, prepared: PreparedTarget, fetched: JobAnswers, collected_at: datetime
    ) -> list[dict[str, Any]]:
        """One row per job submitted in the window."""
        rows = []
        for page in fetched.pages:
            for summary in page.get("invocationJobSummaries", []):
                arn = summary["jobArn"]
                submitted = aws_time(summary["submitTime"])
                if submitted is None or not fetched.start <= submitted < fetched.end:
                    continue
                rows.append(
                    job_row(
                        summary,
                        fetched.tags.get(arn, []),
                        fetched.manifests.get(arn),
                        target=prepared.target,
                        attribution=self.config.attribution,
                        catalog=self.catalog,
                        collected_at=collected_at,
                    )
                )
        return rows

    def load(self, session: Session, rows: list[dict[str, Any]]) -> int:
        """Upsert the window's jobs."""
        return upsert(session, BatchJob, rows) if rows else 0


def _build(deps: SourceDeps) -> BatchJobsCollector:
    return BatchJobsCollector(deps.config, deps.clients, deps.catalog)


sources.add(SourceEntry(SOURCE, BatchJobsConfig, _build, offset=timedelta(minutes=13), order=42))
