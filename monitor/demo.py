"""The demo world: a local AWS stand-in (moto's server) seeded with a small organisation's usage."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from core.timeutil import floor_hour, utcnow

REGIONS = ("us-east-1", "us-west-2")
DEMO_CONFIG = """\
# The demo organisation: written by `genai-monitor demo`.
regions: [us-east-1, us-west-2]
attribution:
  # moto has no bedrock:ListInferenceProfiles: the profiles are mapped here instead
  discover_inference_profiles: false
  inference_profiles:
    search-prod: {team: search, model: anthropic.claude-3-5-sonnet-20241022-v2:0}
    support-bot: {team: support, model: anthropic.claude-3-5-haiku-20241022-v1:0}
    research-lab: {team: research, model: anthropic.claude-opus-4-20250514-v1:0}
    marketing-gen: {team: marketing, model: amazon.nova-pro-v1:0}
teams:
  - {name: search, monthly_budget_usd: 6000}
  - {name: support, monthly_budget_usd: 2500}
  - {name: research, monthly_budget_usd: 4000}
  - {name: marketing, monthly_budget_usd: 800}
  - {name: platform, monthly_budget_usd: 1500}
  - {name: data, monthly_budget_usd: 1000}
collection:
  bedrock: {initial_backfill: %(days)dd}
"""


@dataclass(frozen=True)
class DemoModel:
    """One ModelId the demo organisation calls, and how busy it is."""

    model_id: str
    calls_per_hour: float
    input_per_call: int
    output_per_call: int


MODELS = (
    DemoModel("search-prod", 900, 1800, 350),
    DemoModel("support-bot", 1500, 900, 220),
    DemoModel("research-lab", 40, 6000, 1500),
    DemoModel("marketing-gen", 120, 700, 900),
    DemoModel("us.anthropic.claude-3-7-sonnet-20250219-v1:0", 200, 2500, 600),
    DemoModel("amazon.titan-embed-text-v2:0", 3000, 400, 0),
    DemoModel("meta.llama3-1-70b-instruct-v1:0", 60, 1200, 400),
    DemoModel("acme.private-finetune-v1", 25, 1000, 300),
)


def _activity(hour: datetime) -> float:
    """Office-hours shape with quieter weekends (UTC), between about 0.1 and 1.0."""
    daily = 0.55 + 0.45 * math.sin((hour.hour - 8) / 24 * 2 * math.pi)
    weekend = 0.35 if hour.weekday() >= 5 else 1.0
    return max(0.1, daily * weekend)


def usage_points(days: int, now: datetime, region_share: float) -> Iterator[tuple[str, str, datetime, float]]:
    """(model_id, metric, timestamp, value) for every hour of the last ``days`` days."""
    last = floor_hour(now)
    for model in MODELS:
        for offset in range(days * 24, 0, -1):
            hour = last - timedelta(hours=offset)
            calls = round(model.calls_per_hour * _activity(hour) * region_share)
            if calls == 0:
                continue
            at = hour + timedelta(minutes=30)
            yield model.model_id, "Invocations", at, calls
            yield model.model_id, "InputTokenCount", at, calls * model.input_per_call
            if model.output_per_call:
                yield model.model_id, "OutputTokenCount", at, calls * model.output_per_call


def seed(days: int = 7, now: datetime | None = None) -> int:
    """Put the demo organisation's Bedrock metrics into the stand-in; returns datapoints put."""
    now = now or utcnow()
    count = 0
    for region, share in zip(REGIONS, (1.0, 0.4), strict=True):
        client = boto3.client("cloudwatch", region_name=region)
        batch: list[dict[str, Any]] = []
        for model_id, metric, at, value in usage_points(days, now, share):
            batch.append({"MetricName": metric, "Dimensions": [{"Name": "ModelId", "Value": model_id}], "Timestamp": at, "Value": value})
            if len(batch) == 1000:
                client.put_metric_data(Namespace="AWS/Bedrock", MetricData=batch)
                count += len(batch)
                batch = []
        if batch:
            client.put_metric_data(Namespace="AWS/Bedrock", MetricData=batch)
            count += len(batch)
    return count


@contextmanager
def local_aws() -> Iterator[str]:
    """Start moto's server on a free loopback port and point this process's AWS clients at it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    saved = {name: os.environ.get(name) for name in _DEMO_ENV}
    for name in _DEMO_ENV:
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
    try:
        yield url
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


_DEMO_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_MAX_ATTEMPTS", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def write_config(directory: Path, days: int) -> Path:
    """Write the demo config file (first cycle reads ``days`` of history) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "genai-monitor.yaml"
    path.write_text(DEMO_CONFIG % {"days": days}, encoding="utf-8")
    return path
