"""Bedrock Provisioned Throughput: inventory and hourly model units, traffic and cost.

get (ListProvisionedModelThroughputs, which returns every stored field, and ListTagsForResource
per PT, once per target and cycle; then one GetMetricData per 500 series per window) -> transform
(pure: ``provisioned_lives``) -> load (upsert ``provisioned_throughputs`` on its natural key,
then ``provisioned_throughput_hourly``). A PT no longer listed keeps its rows and gets ``deleted_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from collector.bedrock_control import Page, list_pages, tag_pages
from collector.cloudwatch import MetricData, datapoints, get_metric_data
from collector.provisioned_lives import (
    PtLife,
    active,
    aws_time,
    hourly_rows,
    metric_series,
    pt_life,
    reconcile,
)
from collector.runner import HourlyRegionalSource
from core.aws import ClientFactoryFn, Target
from core.db import upsert
from core.models import ProvisionedThroughput, ProvisionedThroughputHourly
from core.pricing.provisioned import ProvisionedPrices
from core.registry import SourceDeps, SourceEntry, sources
from core.settings import MonitorConfig, SourceConfig

SOURCE = "provisioned_throughput"


@dataclass(frozen=True)
class Listed:
    """ListProvisionedModelThroughputs' pages and each PT's tag pages, by ARN, as AWS answered."""

    pages: list[Page]
    tags: dict[str, list[Page]]
    at: datetime


@dataclass
class PreparedTarget:
    """One target's stored lives and prices; the listing once taken, and the lives it gives."""

    target: Target
    stored: list[PtLife]
    prices: ProvisionedPrices
    listed: Listed | None = None
    lives: list[PtLife] | None = None


@dataclass(frozen=True)
class WindowRows:
    """One window's lives and hourly rows, ready to load."""

    lives: list[PtLife]
    hourly: list[tuple[tuple[str, str, str], dict[str, Any]]]


def list_provisioned(client: Any, at: datetime) -> Listed:
    """Read every PT of the target and its tags."""
    answer = list_pages(client, "list_provisioned_model_throughputs")
    tags = {
        summary["provisionedModelArn"]: tag_pages(client, summary["provisionedModelArn"])
        for page in answer
        for summary in page.get("provisionedModelSummaries", [])
    }
    return Listed(answer, tags, at)


def stored_lives(session: Session, target: Target, start: datetime, end: datetime) -> list[PtLife]:
    """The target's stored PTs that are live or overlap [start, end)."""
    statement = select(ProvisionedThroughput).where(
        ProvisionedThroughput.account_id == target.account_id,
        ProvisionedThroughput.region == target.region,
        ProvisionedThroughput.created_at < end,
        or_(ProvisionedThroughput.deleted_at.is_(None), ProvisionedThroughput.deleted_at > start),
    )
    return [PtLife.from_model(model) for model in session.scalars(statement)]


class ProvisionedThroughputCollector(HourlyRegionalSource):
    """Collects Provisioned Throughput inventory and its hours per target."""

    name = SOURCE

    def __init__(self, config: MonitorConfig, clients: ClientFactoryFn) -> None:
        self.config = config
        self.clients = clients

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """Read the stored lives and the prices; the AWS listing waits for the first window."""
        return PreparedTarget(
            target, stored_lives(session, target, start, end), ProvisionedPrices.load(session)
        )

    def _lives(self, prepared: PreparedTarget, listed: Listed) -> list[PtLife]:
        if prepared.lives is None:
            found = [
                pt_life(
                    summary,
                    listed.tags.get(summary["provisionedModelArn"], []),
                    target=prepared.target,
                    attribution=self.config.attribution,
                    seen_at=listed.at,
                )
                for page in listed.pages
                for summary in page.get("provisionedModelSummaries", [])
                if pt_created(summary) <= listed.at
            ]
            prepared.lives = reconcile(found, prepared.stored, listed.at)
        return prepared.lives

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> tuple[Listed, MetricData]:
        """List the PTs (once per target), then read the window's traffic of those active in it."""
        target = prepared.target
        if prepared.listed is None:
            prepared.listed = list_provisioned(self.clients("bedrock", target), collected_at)
        series = metric_series(active(self._lives(prepared, prepared.listed), start, end))
        if not series:
            return prepared.listed, MetricData((), (), start, end)
        metrics = get_metric_data(self.clients("cloudwatch", target), series, start, end)
        return prepared.listed, metrics

    def transform(
        self, prepared: PreparedTarget, fetched: tuple[Listed, MetricData], collected_at: datetime
    ) -> WindowRows:
        """The lives and the window's PT-hours."""
        listed, metrics = fetched
        lives = self._lives(prepared, listed)
        rows = hourly_rows(
            lives,
            datapoints(metrics),
            start=metrics.start,
            end=metrics.end,
            snapshot_at=listed.at,
            prices=prepared.prices,
            collected_at=collected_at,
        )
        return WindowRows(lives, rows)

    def load(self, session: Session, rows: WindowRows) -> int:
        """Upsert the lives, then their hours."""
        if not rows.lives:
            return 0
        upsert(
            session,
            ProvisionedThroughput,
            [life.row() for life in rows.lives],
            key=["account_id", "region", "arn"],
        )
        ids = {
            (account, region, arn): pt_id
            for pt_id, account, region, arn in session.execute(
                select(
                    ProvisionedThroughput.id,
                    ProvisionedThroughput.account_id,
                    ProvisionedThroughput.region,
                    ProvisionedThroughput.arn,
                ).where(
                    tuple_(
                        ProvisionedThroughput.account_id,
                        ProvisionedThroughput.region,
                        ProvisionedThroughput.arn,
                    ).in_([life.key for life in rows.lives])
                )
            )
        }
        hourly = [{"provisioned_id": ids[key], **row} for key, row in rows.hourly]
        upsert(session, ProvisionedThroughputHourly, hourly)
        return len(rows.lives) + len(hourly)


def pt_created(summary: Page) -> datetime:
    """A summary's creation time (a PT created after the listing's time waits for the next cycle)."""
    created = aws_time(summary["creationTime"])
    assert created is not None
    return created


def _build(deps: SourceDeps) -> ProvisionedThroughputCollector:
    return ProvisionedThroughputCollector(deps.config, deps.clients)


# Bedrock metrics arrive 5-10 minutes late: the hourly job fires at :09
sources.add(SourceEntry(SOURCE, SourceConfig, _build, offset=timedelta(minutes=9), order=40))
