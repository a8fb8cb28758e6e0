"""Test helpers that put data into moto's AWS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import boto3

from core.aws import ClientFactory, Target


def put_bedrock_metrics(
    region: str,
    points: Iterable[tuple[str, str, datetime, float]],
    session: boto3.Session | None = None,
) -> None:
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


# --- SageMaker ---

SAGEMAKER_ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"


@contextmanager
def moto_sagemaker_clock(moment: datetime) -> Iterator[None]:
    """Make moto's in-process SageMaker stamp new resources with ``moment`` (it uses real time)."""
    import moto.sagemaker.models as sagemaker_models

    original = sagemaker_models.utcnow
    sagemaker_models.utcnow = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        sagemaker_models.utcnow = original  # type: ignore[assignment]


def create_sagemaker_endpoint(
    name: str,
    variants: list[dict[str, Any]],
    *,
    created_at: datetime,
    region: str = "us-east-1",
    tags: dict[str, str] | None = None,
    async_inference: dict[str, Any] | None = None,
    multi_model: bool = False,
) -> str:
    """Create a model, an endpoint config and an endpoint in moto, created at ``created_at``; returns the ARN.

    Each variant is ``{"name": ..., "instance_type": ..., "count": ...}`` or
    ``{"name": ..., "serverless": {"MemorySizeInMB": ..., "MaxConcurrency": ...}}``.
    """
    client = boto3.client("sagemaker", region_name=region)
    model = f"{name}-model"
    container: dict[str, Any] = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/llm:latest"}
    if multi_model:
        container["Mode"] = "MultiModel"
    client.create_model(
        ModelName=model, ExecutionRoleArn=SAGEMAKER_ROLE, PrimaryContainer=container
    )
    production = []
    for variant in variants:
        spec: dict[str, Any] = {"VariantName": variant["name"], "ModelName": model}
        if "serverless" in variant:
            spec["ServerlessConfig"] = variant["serverless"]
        else:
            spec.update(
                InstanceType=variant["instance_type"],
                InitialInstanceCount=variant.get("count", 1),
                InitialVariantWeight=1.0,
            )
        production.append(spec)
    config: dict[str, Any] = {
        "EndpointConfigName": f"{name}-config",
        "ProductionVariants": production,
    }
    if async_inference:
        config["AsyncInferenceConfig"] = async_inference
    client.create_endpoint_config(**config)
    with moto_sagemaker_clock(created_at):
        arn = client.create_endpoint(
            EndpointName=name,
            EndpointConfigName=f"{name}-config",
            Tags=[{"Key": key, "Value": value} for key, value in (tags or {}).items()],
        )["EndpointArn"]
    return str(arn)


def put_sagemaker_invocations(
    region: str, points: Iterable[tuple[str, str, datetime, float]]
) -> None:
    """Put (endpoint, variant, timestamp, count) Invocations datapoints into AWS/SageMaker."""
    client = boto3.client("cloudwatch", region_name=region)
    batch: list[dict] = []
    for endpoint, variant, timestamp, value in points:
        batch.append(
            {
                "MetricName": "Invocations",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": endpoint},
                    {"Name": "VariantName", "Value": variant},
                ],
                "Timestamp": timestamp,
                "Value": value,
            }
        )
        if len(batch) == 1000:
            client.put_metric_data(Namespace="AWS/SageMaker", MetricData=batch)
            batch = []
    if batch:
        client.put_metric_data(Namespace="AWS/SageMaker", MetricData=batch)


class Clock:
    """A fixed "now" a test can move."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class OverridingFactory:
    """The real client factory, except for a few (service, account, region) clients a test supplies."""

    def __init__(self, base: ClientFactory, overrides: dict) -> None:
        self.base = base
        self.counter = base.counter
        self.overrides = overrides

    def __call__(self, service: str, target: Target) -> Any:
        return self.overrides.get((service, target.account_id, target.region)) or self.base(
            service, target
        )
