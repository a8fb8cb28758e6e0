"""Test helpers that put data into moto's AWS."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import boto3


def put_bedrock_metrics(region: str, points: Iterable[tuple[str, str, datetime, float]], session: boto3.Session | None = None) -> None:
    """Put (model_id, metric, timestamp, value) datapoints into AWS/Bedrock, 1000 per call."""
    client = (session or boto3.Session()).client("cloudwatch", region_name=region)
    batch: list[dict] = []
    for model_id, metric, timestamp, value in points:
        batch.append(
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "ModelId", "Value": model_id}],
                "Timestamp": timestamp,
                "Value": value,
            }
        )
        if len(batch) == 1000:
            client.put_metric_data(Namespace="AWS/Bedrock", MetricData=batch)
            batch = []
    if batch:
        client.put_metric_data(Namespace="AWS/Bedrock", MetricData=batch)
