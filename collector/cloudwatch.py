"""CloudWatch metric discovery and batched GetMetricData, shared by the collectors.

get (``list_metrics_pages``, ``get_metric_data``: the pages as AWS answered) -> transform
(``metric_dimensions``, ``datapoints``: pure).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from botocore.client import BaseClient

from core.aws import AwsDenied, AwsTransient, pages
from core.timeutil import as_utc

log = logging.getLogger(__name__)

MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries

Page = dict[str, Any]


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


@dataclass(frozen=True)
class MetricData:
    """GetMetricData's pages for some series over [start, end), as AWS answered them.

    Query ``q<n>`` is ``series[n]``: the ids run on over the 500-query batches.
    """

    series: tuple[MetricSeries, ...]
    pages: tuple[Page, ...]
    start: datetime
    end: datetime


def list_metrics_pages(
    client: BaseClient, namespace: str, dimension_names: Sequence[str]
) -> list[Page]:
    """ListMetrics' pages for a namespace, filtered on these dimension names.

    ListMetrics pages 500 at a time and leaves out metrics with no data for two weeks.
    """
    filters = [{"Name": name} for name in dimension_names]
    return list(pages(client, "list_metrics", Namespace=namespace, Dimensions=filters))


def metric_dimensions(
    list_metrics: Iterable[Mapping[str, Any]], dimension_names: Sequence[str]
) -> Iterator[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every (metric name, dimensions) in ListMetrics pages whose dimension names are exactly these."""
    wanted = set(dimension_names)
    for page in list_metrics:
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


def get_metric_data(
    client: BaseClient,
    series: Sequence[MetricSeries],
    start: datetime,
    end: datetime,
    period: timedelta = timedelta(hours=1),
) -> MetricData:
    """Read the pages of many series over [start, end).

    Queries go at most 500 to a call, and each call's pages are followed by NextToken, so
    a window with N series costs ceil(N / 500) calls per page of answers. A query AWS answers
    Forbidden or InternalError stops the reading at that page.
    """
    seconds = int(period.total_seconds())
    names = {f"q{n}": item.metric_name for n, item in enumerate(series)}
    answered: list[Page] = []
    for first in range(0, len(series), MAX_QUERIES_PER_CALL):
        batch = series[first : first + MAX_QUERIES_PER_CALL]
        queries = [_query(f"q{first + n}", item, seconds) for n, item in enumerate(batch)]
        for page in pages(
            client,
            "get_metric_data",
            MetricDataQueries=queries,
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
        ):
            _check_statuses(page, names)
            answered.append(page)
    return MetricData(tuple(series), tuple(answered), start, end)


def _check_statuses(page: Mapping[str, Any], names: Mapping[str, str]) -> None:
    """Raise the error policy's typed errors for results AWS refused or failed to compute."""
    for result in page.get("MetricDataResults", []):
        status = result.get("StatusCode", "Complete")
        name = names.get(result.get("Id", ""), str(result.get("Id")))
        if status == "Forbidden":
            raise AwsDenied(
                "denied",
                "cloudwatch",
                "GetMetricData",
                "Forbidden",
                f"no access to {name}",
            )
        if status == "InternalError":
            messages = "; ".join(m.get("Value", "") for m in result.get("Messages", []))
            raise AwsTransient(
                "transient",
                "cloudwatch",
                "GetMetricData",
                "InternalError",
                messages or name,
            )


def datapoints(data: MetricData) -> Iterator[Datapoint]:
    """The datapoints of GetMetricData pages inside their window (pure; streamed, as windows of
    many series hold many)."""
    by_id = {f"q{n}": item for n, item in enumerate(data.series)}
    for page in data.pages:
        for result in page.get("MetricDataResults", []):
            series = by_id.get(result.get("Id", ""))
            if series is None:
                log.warning(
                    "GetMetricData answered for a query id it was not asked: %r", result.get("Id")
                )
                continue
            yield from _result_datapoints(result, series, data.start, data.end)


def _result_datapoints(
    result: Mapping[str, Any], series: MetricSeries, start: datetime, end: datetime
) -> Iterable[Datapoint]:
    timestamps = result.get("Timestamps", [])
    values = result.get("Values", [])
    if len(timestamps) != len(values):
        log.warning(
            "GetMetricData gave %d timestamps and %d values for %s: skipped",
            len(timestamps),
            len(values),
            series.metric_name,
        )
        return []
    points = (
        Datapoint(series, as_utc(timestamp), float(value))
        for timestamp, value in zip(timestamps, values, strict=True)
    )
    return (point for point in points if start <= point.timestamp < end)
