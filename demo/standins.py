"""Stand-ins for what moto lacks: a fast GetMetricData, a settable SageMaker clock, and the local
moto server the demo (and the console-script tests) point their AWS clients at.

Cost Explorer's answers are in `demo.cost_explorer`.
"""

from __future__ import annotations

import bisect
import logging
import os
import urllib.request
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from demo.bedrock_control import BedrockControlState, bedrock_control_plane
from demo.world import REGIONS

# (namespace, metric, sorted dimensions) -> (sorted timestamps, the datapoints in that order)
Index = dict[tuple[Any, ...], tuple[list[datetime], list[Any]]]


def build_index(data: list[Any]) -> Index:
    """moto's stored datapoints by (namespace, metric, dimensions), sorted by time."""
    grouped: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for datum in data:
        dims = tuple(sorted((d.name, d.value) for d in datum.dimensions))
        grouped[(datum.namespace, datum.name, dims)].append(datum)
    index = {}
    for key, items in grouped.items():
        items.sort(key=lambda d: d.timestamp)
        index[key] = ([d.timestamp for d in items], items)
    return index


def is_indexed(queries: list[dict[str, Any]]) -> bool:
    """Whether every query is a MetricStat on a dimensioned metric, without a unit filter."""
    return all(
        "MetricStat" in q
        and q["MetricStat"]["Metric"].get("Dimensions")
        and not q["MetricStat"].get("Unit")
        for q in queries
    )


def answer_query(
    query: Mapping[str, Any], index: Index, start: datetime, end: datetime, scan_by: str
) -> dict[str, Any]:
    """One MetricDataResult, computed as moto computes it but from the index."""
    from moto.cloudwatch.models import Statistics

    stat = query["MetricStat"]
    metric = stat["Metric"]
    key = (
        metric["Namespace"],
        metric["MetricName"],
        tuple(sorted((d["Name"], d["Value"]) for d in metric["Dimensions"])),
    )
    stamps, items = index.get(key, ([], []))
    delta = timedelta(seconds=int(stat["Period"]))
    values, timestamps = [], []
    period = start
    while period <= end:
        low = bisect.bisect_left(stamps, period)
        high = bisect.bisect_left(stamps, min(period + delta, end))
        if high > low:
            stats = Statistics([stat["Stat"]], period)
            stats.metric_data = items[low:high]
            values.append(stats.get_statistics_for_type(stat["Stat"]))
            timestamps.append(period)
        period += delta
    if scan_by == "TimestampDescending":
        values.reverse()
        timestamps.reverse()
    return {
        "id": query["Id"],
        "label": query.get("Label") or f"{metric['MetricName']} {stat['Stat']}",
        "values": values,
        "timestamps": timestamps,
        "status_code": "Complete",
    }


@contextmanager
def indexed_metric_data() -> Iterator[None]:
    """Give the in-process moto CloudWatch an indexed GetMetricData while the demo runs.

    moto scans every stored datapoint for every query and period (pure Python), which makes 90
    days of a dozen models take many minutes. This answers the same MetricStat queries from an
    index by (namespace, metric, dimensions) and time: the stand-in's speed, not the product's.
    Queries it does not index (no dimensions, expressions) go to moto's own implementation.
    """
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.get_metric_data
    indexes: dict[int, tuple[int, Index]] = {}

    def index_of(backend: Any) -> Index:
        data = backend.get_all_metrics()
        cached = indexes.get(id(backend))
        if cached is None or cached[0] != len(data):
            cached = indexes[id(backend)] = (len(data), build_index(data))
        return cached[1]

    def get_metric_data(
        self: Any,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        start_time, end_time = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        if not is_indexed(queries) or start_time >= end_time:
            return original(self, queries, start_time, end_time, scan_by)
        index = index_of(self)
        return [
            answer_query(query, index, start_time, end_time, scan_by)
            for query in queries
            if query.get("ReturnData", True)
        ]

    CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]
    try:
        yield
    finally:
        CloudWatchBackend.get_metric_data = original  # type: ignore[method-assign]


@contextmanager
def sagemaker_clock(moment: datetime) -> Iterator[None]:
    """Make the in-process moto SageMaker stamp new resources with ``moment`` (it uses real time)."""
    import moto.sagemaker.models as sagemaker_models

    original = sagemaker_models.utcnow  # type: ignore[attr-defined]
    # moto's own clock is naive UTC
    sagemaker_models.utcnow = lambda: moment.astimezone(UTC).replace(tzinfo=None)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        sagemaker_models.utcnow = original  # type: ignore[attr-defined]


# the variables that would point this process's AWS clients elsewhere than the stand-in
_AWS_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_MAX_ATTEMPTS",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
)


@contextmanager
def local_aws(bedrock: BedrockControlState | None = None) -> Iterator[str]:
    """Start moto's server on a free loopback port and point this process's AWS clients at it;
    the Bedrock calls moto lacks answer from ``bedrock`` (default: an empty control plane)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto keeps its accounts in this process's memory: the stand-in starts from nothing
    with urllib.request.urlopen(
        urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30
    ):  # noqa: S310 - loopback
        pass
    saved = {name: os.environ.get(name) for name in _AWS_ENV}
    for name in _AWS_ENV:
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": REGIONS[0],
            "AWS_MAX_ATTEMPTS": "2",
        }
    )
    # what moto lacks and the collectors call: SageMaker inference components
    from demo.inference_components import inference_components

    try:
        with (
            indexed_metric_data(),
            bedrock_control_plane(bedrock or BedrockControlState()),
            inference_components(),
        ):
            yield url
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()
