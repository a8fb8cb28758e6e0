"""Mantle traffic in the AWS stand-in: AWS/BedrockMantle datapoints as the bedrock-mantle endpoint
publishes them (Model level), put into moto's CloudWatch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.aws import ClientFactory, Target
from demo.seed import put_metrics
from demo.world import ACCOUNT

NAMESPACE = "AWS/BedrockMantle"


def put_mantle_metrics(
    region: str,
    points: Iterable[tuple[str, str, datetime, float]],
    clients: ClientFactory | None = None,
) -> int:
    """Put (model, metric, timestamp, value) Model-level datapoints; returns how many."""
    data = (
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "Model", "Value": model}],
            "Timestamp": at,
            "Value": value,
        }
        for model, metric, at, value in points
    )
    client = (clients or ClientFactory())("cloudwatch", Target(ACCOUNT, region))
    return put_metrics(client, NAMESPACE, data)
