"""The AWS resources the action tests act on (in moto and the Bedrock stand-in) and their rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
from sqlalchemy.orm import Session, sessionmaker

from core.actions_settings import ActionsConfig
from core.models import Endpoint, EndpointHourly, ProvisionedThroughput, ProvisionedThroughputHourly

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = "arn:aws:iam::{account}:role/GenAIMonitorActions"
ENABLED = ActionsConfig(enabled=True, role_arn=ROLE)
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/llm:latest"


def sagemaker() -> Any:
    return boto3.client("sagemaker", region_name=REGION)


def autoscaling() -> Any:
    return boto3.client("application-autoscaling", region_name=REGION)


def create_endpoint(name: str, *, asynchronous: bool = False, scaling: bool = True) -> str:
    """An endpoint with two variants on two models, data capture, tags on everything and, on its
    first variant, a scalable target with a target-tracking policy; returns its ARN."""
    client = sagemaker()
    for model in (f"{name}-a", f"{name}-b"):
        client.create_model(
            ModelName=model,
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecution",
            PrimaryContainer={"Image": IMAGE, "Environment": {"MODEL": model}},
            VpcConfig={"SecurityGroupIds": ["sg-0123"], "Subnets": ["subnet-0123"]},
            Tags=[{"Key": "team", "Value": "search"}, {"Key": "model", "Value": model}],
        )
    config: dict[str, Any] = {
        "EndpointConfigName": f"{name}-config",
        "ProductionVariants": [
            {
                "VariantName": "blue",
                "ModelName": f"{name}-a",
                "InstanceType": "ml.g4dn.xlarge",
                "InitialInstanceCount": 2,
                "InitialVariantWeight": 0.7,
            },
            {
                "VariantName": "green",
                "ModelName": f"{name}-b",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "InitialVariantWeight": 0.3,
            },
        ],
        "DataCaptureConfig": {
            "EnableCapture": True,
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": "s3://capture/endpoint",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
        "Tags": [{"Key": "team", "Value": "search"}],
    }
    if asynchronous:
        config["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": "s3://async/out"}}
    client.create_endpoint_config(**config)
    arn = client.create_endpoint(
        EndpointName=name,
        EndpointConfigName=f"{name}-config",
        Tags=[{"Key": "team", "Value": "search"}, {"Key": "owner", "Value": "ana"}],
    )["EndpointArn"]
    if scaling:
        resource = f"endpoint/{name}/variant/blue"
        autoscaling().register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=resource,
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            MinCapacity=1,
            MaxCapacity=4,
        )
        autoscaling().put_scaling_policy(
            PolicyName=f"{name}-invocations",
            ServiceNamespace="sagemaker",
            ResourceId=resource,
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
            },
        )
    return str(arn)


def store_endpoint(
    sessions: sessionmaker[Session], arn: str, name: str, endpoint_type: str = "real-time"
) -> int:
    """The endpoint's row as the collector stores it, with a priced hour ($2.50 an hour)."""
    with sessions.begin() as session:
        row = Endpoint(
            account_id=ACCOUNT,
            region=REGION,
            endpoint_name=name,
            created_at=NOW - timedelta(days=3),
            endpoint_arn=arn,
            endpoint_config_name=f"{name}-config",
            endpoint_type=endpoint_type,
            status="InService",
            team="search",
            tags={"team": "search"},
            variants=[{"name": "blue"}, {"name": "green"}],
            inference_components=[],
            last_seen_at=NOW,
        )
        session.add(row)
        session.flush()
        session.add(
            EndpointHourly(
                endpoint_id=row.id,
                hour=NOW - timedelta(hours=1),
                status="InService",
                instance_type="ml.g4dn.xlarge",
                instance_count=3,
                service_hours=Decimal("0.5"),
                estimated_cost_usd=Decimal("1.25"),
                priced=True,
                collected_at=NOW,
            )
        )
        return row.id


def store_provisioned(
    sessions: sessionmaker[Session], arn: str, name: str, commitment: str | None = None
) -> None:
    """The PT's row as the collector stores it, with a priced hour ($39.60 an hour)."""
    with sessions.begin() as session:
        row = ProvisionedThroughput(
            account_id=ACCOUNT,
            region=REGION,
            arn=arn,
            name=name,
            model_arn=f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1",
            base_model_id="amazon.titan-text-express-v1",
            model_units=2,
            commitment=commitment,
            commitment_expires_at=NOW + timedelta(days=20) if commitment else None,
            status="InService",
            created_at=NOW - timedelta(days=2),
            team="research",
            tags={"team": "research"},
            last_seen_at=NOW,
        )
        session.add(row)
        session.flush()
        session.add(
            ProvisionedThroughputHourly(
                provisioned_id=row.id,
                hour=NOW - timedelta(hours=1),
                model_units=2,
                billed_hours=Decimal(1),
                estimated_cost_usd=Decimal("39.6"),
                priced=True,
                collected_at=NOW,
            )
        )
