"""The demo organisation, as pure data: six teams, the Bedrock ModelIds they call, their SageMaker
endpoints and the shape of their traffic over a day, a week and the history.

A dozen ModelIds (application inference profiles owned by teams, cross-region profiles and
models called directly) in two regions; eight endpoints (busy, idle, kept alive on purpose,
async, serverless). `demo.generate` turns this description into metrics and a bill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from core.timeutil import floor_hour

ACCOUNT = "123456789012"  # what moto's sts:GetCallerIdentity answers
REGIONS = ("us-east-1", "us-west-2")
REGION_CODES = {"us-east-1": "USE1", "us-west-2": "USW2"}
TEAMS = ("search", "support", "research", "marketing", "platform", "data")
DEFAULT_DAYS = 90
# Cost Explorer reports usage a few hours late: the newest hours are not billed yet.
BILLING_LAG = timedelta(hours=4)


@dataclass(frozen=True)
class DemoModel:
    """One Bedrock ModelId the organisation calls in one region, how busy it is and how it bills."""

    model_id: str  # the CloudWatch ModelId dimension
    region: str
    base_model: str  # the foundation model it runs and bills as
    team: str | None  # owner of an application inference profile; None: called directly, untagged
    calls_per_hour: float  # at a weekday peak, today
    input_per_call: int
    output_per_call: int
    latency_ms: float
    usage_name: str  # the model's part of a Cost Explorer usage type
    marketplace: str | None = None  # Marketplace service name prefix for third-party models
    cache_read_per_call: int = 0
    cache_write_per_call: int = 0
    always_on: bool = False  # traffic every hour (a production service), not office hours only
    # list price (input, output per million tokens) for a model the shipped catalog lacks
    list_price: tuple[str, str] | None = None
    spike_yesterday: float = (
        1.0  # yesterday's traffic multiple: a batch job the spike rule should catch
    )


MODELS = (
    # application inference profiles: the way each team gets its own Bedrock cost line
    DemoModel(
        "k2x9search01",
        "us-east-1",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "search",
        420,
        1900,
        380,
        2400,
        "Claude3.5Sonnet-v2",
        "Claude 3.5 Sonnet v2",
        cache_read_per_call=1200,
        cache_write_per_call=150,
        always_on=True,
    ),
    DemoModel(
        "p7supportbot",
        "us-east-1",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "support",
        900,
        1100,
        240,
        900,
        "Claude3.5Haiku",
        "Claude 3.5 Haiku",
        cache_read_per_call=600,
        always_on=True,
    ),
    DemoModel(
        "r4research09",
        "us-east-1",
        "anthropic.claude-opus-4-20250514-v1:0",
        "research",
        30,
        6500,
        1400,
        9000,
        "ClaudeOpus4",
        "Claude Opus 4",
        spike_yesterday=6.0,
    ),
    DemoModel(
        "m3marketing1",
        "us-east-1",
        "amazon.nova-pro-v1:0",
        "marketing",
        110,
        800,
        950,
        1800,
        "NovaPro",
    ),
    DemoModel(
        "g8platform02",
        "us-east-1",
        "meta.llama3-3-70b-instruct-v1:0",
        "platform",
        260,
        1300,
        420,
        1500,
        "Llama3.3-70B",
        always_on=True,
    ),
    DemoModel(
        "d5dataembed1",
        "us-east-1",
        "amazon.titan-embed-text-v2:0",
        "data",
        2600,
        450,
        0,
        120,
        "TitanEmbedTextV2",
        always_on=True,
    ),
    # called directly, with no profile: tokens nobody owns until someone tags them
    DemoModel(
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "us-east-1",
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        None,
        45,
        2600,
        700,
        3100,
        "Claude3.7Sonnet",
        "Claude 3.7 Sonnet",
    ),
    DemoModel(
        "amazon.nova-micro-v1:0",
        "us-east-1",
        "amazon.nova-micro-v1:0",
        None,
        700,
        500,
        120,
        400,
        "NovaMicro",
    ),
    DemoModel(
        "meta.llama3-1-8b-instruct-v1:0",
        "us-east-1",
        "meta.llama3-1-8b-instruct-v1:0",
        None,
        150,
        900,
        200,
        600,
        "Llama3.1-8B",
    ),
    DemoModel(
        "minimax.minimax-m2",
        "us-east-1",
        "minimax.minimax-m2",
        None,
        20,
        3000,
        500,
        2800,
        "MiniMaxM2",
        list_price=("0.30", "1.20"),
    ),
    # the second region: search's disaster-recovery copy and a team calling Haiku directly
    DemoModel(
        "w6search02dr",
        "us-west-2",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "search",
        60,
        1900,
        380,
        2500,
        "Claude3.5Sonnet-v2",
        "Claude 3.5 Sonnet v2",
        always_on=True,
    ),
    DemoModel(
        "anthropic.claude-3-haiku-20240307-v1:0",
        "us-west-2",
        "anthropic.claude-3-haiku-20240307-v1:0",
        None,
        300,
        1500,
        300,
        700,
        "Claude3Haiku",
        "Claude 3 Haiku",
    ),
)

# The `team` tag of the IAM role that calls each directly-called ModelId (Cost Explorer's
# `iamPrincipal/team`): who spent what the resource tag cannot name. A profile's callers carry
# its owner's tag; the ModelIds absent here are called by untagged roles.
CALLER_TEAMS = {
    "us.anthropic.claude-3-7-sonnet-20250219-v1:0": "research",
    "amazon.nova-micro-v1:0": "marketing",
    "anthropic.claude-3-haiku-20240307-v1:0": "support",
}


@dataclass(frozen=True)
class DemoEndpoint:
    """One SageMaker endpoint: who owns it, what it runs on and when it was last called."""

    name: str
    region: str
    team: str
    instance_type: str | None  # None: serverless
    instance_count: int
    created_days_ago: float
    calls_per_hour: float
    idle_hours: float | None = None  # no call for this long before now; None: still busy
    kind: str = "real-time"  # or "async", "serverless"
    keep_alive_days: int | None = None  # tagged keep-alive-until this many days ahead


ENDPOINTS = (
    DemoEndpoint("search-rerank-prod", "us-east-1", "search", "ml.g4dn.xlarge", 2, 120, 900),
    # three instances for a busiest hour one carries: the under-used endpoint of the Waste page
    DemoEndpoint("support-intent-classifier", "us-east-1", "support", "ml.c5.xlarge", 3, 75, 400),
    DemoEndpoint(
        "research-llm-eval",
        "us-east-1",
        "research",
        "ml.g4dn.12xlarge",
        1,
        20,
        35,
        idle_hours=9 * 24,
    ),
    DemoEndpoint(
        "marketing-image-gen", "us-east-1", "marketing", "ml.g4dn.2xlarge", 1, 30, 25, idle_hours=40
    ),
    DemoEndpoint(
        "platform-canary-llm",
        "us-east-1",
        "platform",
        "ml.t2.medium",
        1,
        60,
        0,
        idle_hours=math.inf,
        keep_alive_days=30,
    ),
    DemoEndpoint(
        "data-embed-batch", "us-east-1", "data", "ml.g4dn.xlarge", 1, 45, 15, kind="async"
    ),
    DemoEndpoint(
        "data-classifier-serverless", "us-east-1", "data", None, 0, 50, 60, kind="serverless"
    ),
    DemoEndpoint(
        "platform-gateway-llm", "us-west-2", "platform", "ml.g4dn.4xlarge", 1, 10, 120, idle_hours=5
    ),
    # stopped nights and weekends by the demo's `schedule` policy (actions.policies)
    DemoEndpoint("dev-search-sandbox", "us-east-1", "search", "ml.g4dn.xlarge", 1, 40, 12),
)
SERVERLESS_MEMORY_MB = 4096
SERVERLESS_SECONDS_PER_INVOCATION = Decimal("1.2")  # the ModelLatency each call reports
# 1.2 s at 4 GB, $0.00002 per GB-second
SERVERLESS_USD_PER_INVOCATION = (
    SERVERLESS_SECONDS_PER_INVOCATION * SERVERLESS_MEMORY_MB / 1024 * Decimal("0.00002")
)


def activity(hour: datetime, always_on: bool) -> float:
    """Traffic shape between 0 and 1: US office hours peak around 18:00 UTC, quiet weekends."""
    daily = math.exp(-((hour.hour - 18) ** 2) / (2 * 3.5**2))
    if hour.hour < 6:
        daily = max(daily, math.exp(-((hour.hour + 6) ** 2) / (2 * 3.5**2)))
    base = 0.25 if always_on else 0.02
    weekend = 0.35 if hour.weekday() >= 5 else 1.0
    return (base + (1 - base) * daily) * weekend


def growth(hour: datetime, now: datetime, days: int) -> float:
    """Usage grows by about a third over the history: 0.75 at its start, 1.0 now."""
    age = (now - hour) / timedelta(days=max(days, 1))
    return 1.0 - 0.25 * min(max(age, 0.0), 1.0)


def endpoint_created_at(endpoint: DemoEndpoint, now: datetime) -> datetime:
    """When the endpoint was created: so many days ago, at 17 past an hour."""
    return floor_hour(now) - timedelta(days=endpoint.created_days_ago) + timedelta(minutes=17)
