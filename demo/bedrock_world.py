"""The demo's Bedrock kinds beyond on-demand tokens: a busy, an idle and an under-used (nightly)
Provisioned Throughput, a custom model with an on-demand deployment, and a batch job.

The control plane answers come from ``demo.bedrock_control`` (moto lacks them); the custom
model is moto's; the busy PT's and the deployment's traffic is published to moto's CloudWatch
and the batch job's output manifest to moto's S3, as AWS would.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from core.aws import ClientFactory, Target
from core.timeutil import floor_hour
from demo.bedrock_control import BedrockControlState, create_custom_model
from demo.seed import put_bedrock_metrics
from demo.world import ACCOUNT, REGIONS

REGION = REGIONS[0]
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
BATCH_BUCKET = "genai-batch-output"


def _hours(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start).total_seconds() // 3600)
    return [start + timedelta(hours=h, minutes=7) for h in range(count)]


def _traffic(
    model_arn: str, hours: list[datetime], calls: int, tokens_in: int, tokens_out: int
) -> list[Any]:
    points: list[Any] = []
    for at in hours:
        busy = 0.4 + 0.6 * (8 <= at.hour < 20)  # office hours are busier
        points += [
            (model_arn, "Invocations", at, round(calls * busy)),
            (model_arn, "InputTokenCount", at, round(calls * busy) * tokens_in),
            (model_arn, "OutputTokenCount", at, round(calls * busy) * tokens_out),
        ]
    return points


def seed_bedrock_kinds(now: datetime, state: BedrockControlState, clients: ClientFactory) -> int:
    """Put the demo's PTs, custom model, deployment and batch job in place; returns datapoints put."""
    hour = floor_hour(now)
    busy_created, idle_created = hour - timedelta(days=20), hour - timedelta(days=10)
    busy = state.add_provisioned(
        REGION,
        "support-titan-pt",
        "amazon.titan-text-express-v1",
        2,
        busy_created,
        commitment="OneMonth",
        expires=busy_created + timedelta(days=30),
        tags={"team": "support"},
    )
    idle = state.add_provisioned(
        REGION,
        "research-instant-pt",
        "anthropic.claude-instant-v1",
        1,
        idle_created,
        tags={"team": "research"},
    )
    nightly_created = hour - timedelta(days=14)
    nightly = state.add_provisioned(
        REGION,
        "data-nightly-pt",
        "amazon.titan-text-express-v1",
        1,
        nightly_created,
        tags={"team": "data"},
    )
    tuned = create_custom_model(
        clients,
        REGION,
        "support-tuned-haiku",
        HAIKU,
        hour - timedelta(days=30),
        tags={"team": "support"},
    )
    deployment = state.add_deployment(
        REGION, "support-tuned-live", tuned, hour - timedelta(days=14), tags={"team": "support"}
    )
    points = _traffic(busy, _hours(busy_created, hour), 120, 900, 250)
    points += _traffic(idle, _hours(idle_created, idle_created + timedelta(hours=20)), 15, 600, 120)
    # called two hours a night: under-used, cheaper on demand
    nights = [at for at in _hours(nightly_created, hour) if at.hour in (2, 3)]
    points += _traffic(nightly, nights, 40, 2000, 400)
    points += _traffic(deployment, _hours(hour - timedelta(days=14), hour), 8, 1200, 300)
    put = put_bedrock_metrics(REGION, points, clients)
    submitted = hour - timedelta(days=2, hours=6)
    job = state.add_job(
        REGION,
        "data-nightly-classify",
        HAIKU,
        submitted,
        ended=submitted + timedelta(hours=5),
        records=(50_000, 49_870, 130),
        output_uri=f"s3://{BATCH_BUCKET}/classify/",
        tags={"team": "data"},
    )
    s3 = clients("s3", Target(ACCOUNT, REGION))
    s3.create_bucket(Bucket=BATCH_BUCKET)
    manifest = {
        "totalRecordCount": 50_000,
        "processedRecordCount": 50_000,
        "successRecordCount": 49_870,
        "errorRecordCount": 130,
        "inputTokenCount": 41_250_000,
        "outputTokenCount": 6_480_000,
    }
    s3.put_object(
        Bucket=BATCH_BUCKET,
        Key=f"classify/{job.rsplit('/', 1)[-1]}/manifest.json.out",
        Body=json.dumps(manifest).encode(),
    )
    return put
