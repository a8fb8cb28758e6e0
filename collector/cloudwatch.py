"""CloudWatch metric discovery and batched GetMetricData, shared by the collectors."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from botocore.client import BaseClient

from core.aws import AwsDenied, AwsTransient, pages
from core.timeutil import as_utc

log = logging.getLogger(__name__)

MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries


@dataclass(frozen=True)
class MetricSeries:
    """One CloudWatch time series: a metric with one set of dimension values, and a statistic."""

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str = "Sum"

    def dimension(self, name: str) -> str | None:
        """The value of one dimension, or None."""
        return dict(self.dimensions).get(name)


class Datapoint(NamedTuple):
    """One value of one series at one period start."""

    series: MetricSeries
    timestamp: datetime
    value: float


def list_metric_dimensions(
    client: BaseClient, namespace: str, dimension_names: Sequence[str]
) -> Iterator[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every (metric name, dimensions) in a namespace whose dimension names are exactly these.

    ListMetrics pages 500 at a time and leaves out metrics with no data for two weeks.
    """
    wanted = set(dimension_names)
    filters = [{"Name": name} for name in dimension_names]
    for page in pages(client, "list_metrics", Namespace=namespace, Dimensions=filters):
        for metric in page.get("Metrics", []):
            dimensions = tuple(
                sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
            )
            if {name for name, _ in dimensions} == wanted:
                yield metric["MetricName"], dimensions


def _query(query_id: str, series: MetricSeries, period: int) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": series.namespace,
                "MetricName": series.metric_name,
                "Dimensions": [{"Name": name, "Value": value} for name, value in series.dimensions],
            },
            "Period": period,
            "Stat": series.stat,
        },
        "ReturnData": True,
    }


def _batches(series: Sequence[MetricSeries], size: int) -> Iterator[Sequence[MetricSeries]]:
    for start in range(0, len(series), size):
        yield series[start : start + size]


def get_metric_data(
    client: BaseClient,
    series: Sequence[MetricSeries],
    start: datetime,
    end: datetime,
    period: timedelta = timedelta(hours=1),
) -> Iterator[Datapoint]:
    """Stream the datapoints of many series over [start, end).

    Queries go at most 500 to a call, and each call's pages are followed by NextToken, so
    a window with N series costs ceil(N / 500) calls per page of answers.
    """
    seconds = int(period.total_seconds())
    for batch in _batches(series, MAX_QUERIES_PER_CALL):
        by_id = {f"q{index}": item for index, item in enumerate(batch)}
        queries = [_query(query_id, item, seconds) for query_id, item in by_id.items()]
        for page in pages(
            client,
            "get_metric_data",
            MetricDataQueries=queries,
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
        ):
            yield from _page_datapoints(page, by_id, start, end)


def _page_datapoints(
    page: dict[str, Any], by_id: dict[str, MetricSeries], start: datetime, end: datetime
) -> Iterable[Datapoint]:
    for result in page.get("MetricDataResults", []):
        series = by_id.get(result.get("Id", ""))
        if series is None:
            log.warning(
                "GetMetricData answered for a query id it was not asked: %r", result.get("Id")
            )
            continue
        status = result.get("StatusCode", "Complete")
        if status == "Forbidden":
            raise AwsDenied(
                "denied",
                "cloudwatch",
                "GetMetricData",
                "Forbidden",
                f"no access to {series.metric_name}",
            )
        if status == "InternalError":
            messages = "; ".join(m.get("Value", "") for m in result.get("Messages", []))
            raise AwsTransient(
                "transient",
                "cloudwatch",
                "GetMetricData",
                "InternalError",
                messages or series.metric_name,
            )
        timestamps = result.get("Timestamps", [])
        values = result.get("Values", [])
        if len(timestamps) != len(values):
            log.warning(
                "GetMetricData gave %d timestamps and %d values for %s: skipped",
                len(timestamps),
                len(values),
                series.metric_name,
            )
            continue
        for timestamp, value in zip(timestamps, values, strict=True):
            moment = as_utc(timestamp)
            if start <= moment < end:
                yield Datapoint(series, moment, float(value))
