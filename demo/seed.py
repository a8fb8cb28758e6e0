"""Seeding: put a world into the AWS stand-in (moto) through the ordinary AWS APIs.

CloudWatch datapoints for Bedrock and SageMaker, and SageMaker endpoints back-dated with
`demo.standins.sagemaker_clock`. The demo seeds its generated world; the tests seed their own
small ones with the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from core.aws import ClientFactory, Target
from demo.generate import Point, World
from demo.standins import sagemaker_clock
from demo.world import ACCOUNT, ENDPOINTS, SERVERLESS_MEMORY_MB, endpoint_created_at

PUT_METRIC_DATA_LIMIT = 1000  # datapoints per PutMetricData call


def put_metrics(client: Any, namespace: str, data: Iterable[dict[str, Any]]) -> int:
    """PutMetricData in batches of the API's limit; returns the datapoints put."""
    batch: list[dict[str, Any]] = []
    count = 0
    for datum in data:
        batch.append(datum)
        if len(batch) == PUT_METRIC_DATA_LIMIT:
            client.put_metric_data(Namespace=namespace, MetricData=batch)
            count, batch = count + len(batch), []
    if batch:
        client.put_metric_data(Namespace=namespace, MetricData=batch)
        count += len(batch)
    return count


def _cloudwatch(region: str, clients: ClientFactory | None) -> Any:
    return (clients or ClientFactory())("cloudwatch", Target(ACCOUNT, region))


def put_bedrock_metrics(
    region: str, points: Iterable[Point], clients: ClientFactory | None = None
) -> int:
    """Put (model_id, metric, timestamp, value) datapoints into AWS/Bedrock; returns how many."""
    data = (
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "ModelId", "Value": model_id}],
            "Timestamp": at,
            "Value": value,
        }
        for model_id, metric, at, value in points
    )
    return put_metrics(_cloudwatch(region, clients), "AWS/Bedrock", data)


def put_sagemaker_invocations(
    region: str, points: Iterable[Point], clients: ClientFactory | None = None
) -> int:
    """Put (endpoint, variant, timestamp, count) Invocations datapoints into AWS/SageMaker."""
    return put_sagemaker_metric(region, "Invocations", points, clients)


def put_sagemaker_metric(
    region: str, metric: str, points: Iterable[Point], clients: ClientFactory | None = None
) -> int:
    """Put (endpoint, variant, timestamp, value) datapoints of one AWS/SageMaker metric
    (ModelLatency values are microseconds)."""
    data = (
        {
            "MetricName": metric,
            "Dimensions": [
                {"Name": "EndpointName", "Value": name},
                {"Name": "VariantName", "Value": variant},
            ],
            "Timestamp": at,
            "Value": value,
        }
        for name, variant, at, value in points
    )
    return put_metrics(_cloudwatch(region, clients), "AWS/SageMaker", data)


def seed_metrics(world: World, clients: ClientFactory | None = None) -> int:
    """Put the Bedrock and SageMaker metrics into the stand-in's CloudWatch; returns datapoints put."""
    count = 0
    for region, points in world.bedrock_points.items():
        count += put_bedrock_metrics(region, points, clients)
    for region, points in world.sagemaker_points.items():
        count += put_sagemaker_invocations(region, points, clients)
    for region, points in world.sagemaker_latency.items():
        count += put_sagemaker_metric(region, "ModelLatency", points, clients)
    return count


def _variant(model: str, variant: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"VariantName": variant["name"], "ModelName": model}
    if "serverless" in variant:
        spec["ServerlessConfig"] = variant["serverless"]
    else:
        spec.update(
            InstanceType=variant["instance_type"],
            InitialInstanceCount=variant.get("count", 1),
            InitialVariantWeight=1.0,
        )
    return spec


def create_sagemaker_endpoint(
    name: str,
    variants: list[dict[str, Any]],
    *,
    created_at: datetime,
    region: str = "us-east-1",
    tags: dict[str, str] | None = None,
    async_inference: dict[str, Any] | None = None,
    multi_model: bool = False,
    image: str = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/llm:latest",
    clients: ClientFactory | None = None,
) -> str:
    """Create a model, an endpoint config and an endpoint, created at ``created_at``; returns the ARN.

    Each variant is ``{"name": ..., "instance_type": ..., "count": ...}`` or
    ``{"name": ..., "serverless": {"MemorySizeInMB": ..., "MaxConcurrency": ...}}``.
    """
    client = (clients or ClientFactory())("sagemaker", Target(ACCOUNT, region))
    model = f"{name}-model"
    container: dict[str, Any] = {"Image": image}
    if multi_model:
        container["Mode"] = "MultiModel"
    client.create_model(
        ModelName=model,
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecution",
        PrimaryContainer=container,
    )
    config: dict[str, Any] = {
        "EndpointConfigName": f"{name}-config",
        "ProductionVariants": [_variant(model, variant) for variant in variants],
    }
    if async_inference:
        config["AsyncInferenceConfig"] = async_inference
    client.create_endpoint_config(**config)
    with sagemaker_clock(created_at):
        arn = client.create_endpoint(
            EndpointName=name,
            EndpointConfigName=f"{name}-config",
            Tags=[{"Key": key, "Value": value} for key, value in (tags or {}).items()],
        )["EndpointArn"]
    return str(arn)


def seed_endpoints(now: datetime, clients: ClientFactory | None = None) -> int:
    """Create the world's endpoints in the stand-in's SageMaker, back-dated; returns how many."""
    for endpoint in ENDPOINTS:
        variant: dict[str, Any] = {"name": "AllTraffic"}
        if endpoint.kind == "serverless":
            variant["serverless"] = {"MemorySizeInMB": SERVERLESS_MEMORY_MB, "MaxConcurrency": 10}
        else:
            variant.update(instance_type=endpoint.instance_type, count=endpoint.instance_count)
        tags = {"team": endpoint.team}
        if endpoint.keep_alive_days is not None:
            until = now + timedelta(days=endpoint.keep_alive_days)
            tags["keep-alive-until"] = until.date().isoformat()
        async_inference = (
            {"OutputConfig": {"S3OutputPath": f"s3://demo-{endpoint.team}-async/out"}}
            if endpoint.kind == "async"
            else None
        )
        create_sagemaker_endpoint(
            endpoint.name,
            [variant],
            created_at=endpoint_created_at(endpoint, now),
            region=endpoint.region,
            tags=tags,
            async_inference=async_inference,
            image=f"{ACCOUNT}.dkr.ecr.{endpoint.region}.amazonaws.com/{endpoint.team}/{endpoint.name}:latest",
            clients=clients,
        )
    return len(ENDPOINTS)
