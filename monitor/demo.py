"""The demo world: a local AWS stand-in (moto's server, in process) seeded with a realistic
organisation, collected by the real collectors into SQLite and evaluated by the real alert rules.

The organisation: six teams, a dozen Bedrock ModelIds (application inference profiles owned by
teams, cross-region profiles and models called directly) in two regions, eight SageMaker
endpoints (busy, idle, kept alive on purpose, async, serverless), 90 days of hourly history with
a weekday rhythm and growth, and Cost Explorer answers computed from the same usage, so the
bill and the token estimate agree the way a real bill does. Budgets are set relative to the
generated spend so that every alert kind has something to say whatever the day of the month.

`build_demo` does all of it and returns where the data went; `genai-monitor demo` prints a
summary and then serves the dashboard.
"""

from __future__ import annotations

import bisect
import json
import logging
import math
import os
import random
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from core.aws import ClientFactory, Target
from core.pricing import InstancePriceCatalog, PriceCatalog
from core.settings import EnvSettings, MonitorConfig
from core.timeutil import floor_hour, utcnow

log = logging.getLogger(__name__)

ACCOUNT = "123456789012"  # what moto's sts:GetCallerIdentity answers
REGIONS = ("us-east-1", "us-west-2")
REGION_CODES = {"us-east-1": "USE1", "us-west-2": "USW2"}
TEAMS = ("search", "support", "research", "marketing", "platform", "data")
BEDROCK = "Amazon Bedrock"
SAGEMAKER = "Amazon SageMaker"
MARKETPLACE = " (Amazon Bedrock Edition)"
DEFAULT_DAYS = 90
# Cost Explorer reports usage a few hours late: the newest hours are not billed yet.
BILLING_LAG = timedelta(hours=4)
LOG_CHANNEL = "demo-log"


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
        "mistral.pixtral-large-2502-v1:0",
        "us-east-1",
        "mistral.pixtral-large-2502-v1:0",
        None,
        20,
        3000,
        500,
        2800,
        "PixtralLarge",
        list_price=("2.00", "6.00"),
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
    DemoEndpoint("support-intent-classifier", "us-east-1", "support", "ml.c5.xlarge", 1, 75, 400),
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
)
SERVERLESS_MEMORY_MB = 4096
SERVERLESS_USD_PER_INVOCATION = Decimal("0.000096")  # ~1.2 s at 4 GB, $0.00002 per GB-second


# --- the world, as pure data ---


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


@dataclass
class CostItem:
    """One Cost Explorer line: a day, service, usage type and cost allocation tag group."""

    day: date
    service: str
    usage_type: str
    team_key: str
    amount: Decimal


@dataclass
class World:
    """Everything the stand-in is seeded with, and what the bill says."""

    now: datetime
    start: datetime
    bedrock_points: dict[str, list[tuple[str, str, datetime, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    sagemaker_points: dict[str, list[tuple[str, str, datetime, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    costs: dict[tuple[date, str, str, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )

    def cost_items(self) -> list[CostItem]:
        """The bill's lines, sorted."""
        return [
            CostItem(day, service, usage, team, amount)
            for (day, service, usage, team), amount in sorted(self.costs.items())
            if amount > 0
        ]

    def team_daily(self) -> dict[str, dict[date, Decimal]]:
        """Billed spend per team (tag value; untagged is ``unattributed``) and day."""
        spend: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for (day, _service, _usage, key), amount in self.costs.items():
            spend[key.split("$", 1)[1] or "unattributed"][day] += amount
        return spend


def _team_key(team: str | None) -> str:
    return f"team${team or ''}"


def _bedrock_usage_types(model: DemoModel) -> tuple[str, dict[str, str]]:
    """The service and the usage type per token kind, as Cost Explorer names them."""
    code = REGION_CODES[model.region]
    if model.marketplace:
        units = {
            "input": "InputTokenCount",
            "output": "OutputTokenCount",
            "cache_read": "CacheReadInputTokenCount",
            "cache_write": "CacheWriteInputTokenCount",
        }
        return model.marketplace + MARKETPLACE, {
            kind: f"{code}-MP:{code}_{unit}-Units" for kind, unit in units.items()
        }
    suffixes = {
        "input": "input-tokens",
        "output": "output-tokens",
        "cache_read": "cache-read-input-tokens",
        "cache_write": "cache-write-input-tokens",
    }
    return BEDROCK, {
        kind: f"{code}-{model.usage_name}-{suffix}" for kind, suffix in suffixes.items()
    }


def _token_prices(model: DemoModel, catalog: PriceCatalog) -> dict[str, Decimal]:
    """USD per million tokens per kind: the catalog's price, or the list price it lacks."""
    price = catalog.price(model.base_model, model.region)
    if price is None:
        assert model.list_price is not None, (
            f"{model.base_model} has neither a catalog price nor a list price"
        )
        return {
            "input": Decimal(model.list_price[0]),
            "output": Decimal(model.list_price[1]),
            "cache_read": Decimal(0),
            "cache_write": Decimal(0),
        }
    return {
        "input": price.input,
        "output": price.output,
        "cache_read": price.cache_read or Decimal(0),
        "cache_write": price.cache_write or Decimal(0),
    }


def generate(
    now: datetime,
    days: int = DEFAULT_DAYS,
    catalog: PriceCatalog | None = None,
    instances: InstancePriceCatalog | None = None,
) -> World:
    """The organisation's metrics and bill for the ``days`` whole UTC days before now and today so far."""
    catalog = catalog or PriceCatalog.load()
    instances = instances or InstancePriceCatalog.load()
    today = now.astimezone(UTC).date()
    start = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=days)
    world = World(now=now, start=start)
    last = floor_hour(now)  # the current hour is still open: nothing is published for it yet
    yesterday = today - timedelta(days=1)
    billed_until = now - BILLING_LAG
    hours = [
        start + timedelta(hours=offset)
        for offset in range(int((last - start) / timedelta(hours=1)))
    ]
    for index, model in enumerate(MODELS):
        jitter = random.Random(index)  # noqa: S311 - demo data, not security
        service, usage_types = _bedrock_usage_types(model)
        prices = _token_prices(model, catalog)
        points = world.bedrock_points[model.region]
        for hour in hours:
            scale = (
                activity(hour, model.always_on)
                * growth(hour, now, days)
                * jitter.uniform(0.85, 1.15)
            )
            if hour.date() == yesterday:
                scale *= model.spike_yesterday
            calls = round(model.calls_per_hour * scale)
            if calls == 0:
                continue
            at = hour + timedelta(minutes=30)
            tokens = {
                "input": calls * model.input_per_call,
                "output": calls * model.output_per_call,
                "cache_read": calls * model.cache_read_per_call,
                "cache_write": calls * model.cache_write_per_call,
            }
            metrics = [
                ("Invocations", calls),
                ("InputTokenCount", tokens["input"]),
                ("InvocationLatency", round(model.latency_ms * (0.8 + 0.4 * scale))),
            ]
            if tokens["output"]:
                metrics.append(("OutputTokenCount", tokens["output"]))
            if tokens["cache_read"]:
                metrics.append(("CacheReadInputTokenCount", tokens["cache_read"]))
            if tokens["cache_write"]:
                metrics.append(("CacheWriteInputTokenCount", tokens["cache_write"]))
            if scale > 0.9 and model.always_on:
                metrics.append(("InvocationThrottles", max(1, calls // 60)))
            if calls >= 200 and jitter.random() < 0.1:
                metrics.append(("InvocationClientErrors", 1 + calls // 500))
            points.extend((model.model_id, metric, at, value) for metric, value in metrics)
            if hour + timedelta(hours=1) <= billed_until:
                for kind, count in tokens.items():
                    if count:
                        key = (hour.date(), service, usage_types[kind], _team_key(model.team))
                        world.costs[key] += count * prices[kind] / 1_000_000
    for index, endpoint in enumerate(ENDPOINTS):
        _endpoint_history(world, endpoint, hours, random.Random(100 + index), instances)  # noqa: S311 - demo data
    world.costs = defaultdict(
        Decimal, {key: amount.quantize(Decimal("0.000001")) for key, amount in world.costs.items()}
    )
    return world


def endpoint_created_at(endpoint: DemoEndpoint, now: datetime) -> datetime:
    """When the endpoint was created: so many days ago, at 17 past an hour."""
    return floor_hour(now) - timedelta(days=endpoint.created_days_ago) + timedelta(minutes=17)


def _endpoint_history(
    world: World,
    endpoint: DemoEndpoint,
    hours: list[datetime],
    jitter: random.Random,
    instances: InstancePriceCatalog,
) -> None:
    """The endpoint's hourly invocations and its instance (or per-request) bill."""
    created = endpoint_created_at(endpoint, world.now)
    quiet_from = (
        world.now - timedelta(hours=endpoint.idle_hours)
        if endpoint.idle_hours is not None and not math.isinf(endpoint.idle_hours)
        else None
    )
    code = REGION_CODES[endpoint.region]
    busy = endpoint.kind == "real-time" and endpoint.idle_hours is None
    price = (
        instances.price(endpoint.instance_type, endpoint.region) if endpoint.instance_type else None
    )
    billed_until = world.now - BILLING_LAG
    for hour in hours:
        end = hour + timedelta(hours=1)
        if end <= created:
            continue
        calls = 0
        if endpoint.idle_hours is None or (quiet_from is not None and end <= quiet_from):
            calls = round(endpoint.calls_per_hour * activity(hour, busy) * jitter.uniform(0.8, 1.2))
            if busy:
                calls = max(calls, 1)  # a production endpoint is never silent for an hour
        if calls:
            world.sagemaker_points[endpoint.region].append(
                (endpoint.name, "AllTraffic", hour + timedelta(minutes=30), calls)
            )
        if end > billed_until:
            continue
        key_team = _team_key(endpoint.team)
        if endpoint.kind == "serverless":
            if calls:
                world.costs[
                    (
                        hour.date(),
                        SAGEMAKER,
                        f"{code}-ServerlessInf:Mem-{SERVERLESS_MEMORY_MB // 1024}GB",
                        key_team,
                    )
                ] += calls * SERVERLESS_USD_PER_INVOCATION
            continue
        assert price is not None, f"no price for {endpoint.instance_type}"
        share = Decimal(str(min(1.0, (end - max(hour, created)) / timedelta(hours=1))))
        usage = (
            f"{code}-AsyncInf:{endpoint.instance_type}"
            if endpoint.kind == "async"
            else f"{code}-Host:{endpoint.instance_type}"
        )
        world.costs[(hour.date(), SAGEMAKER, usage, key_team)] += (
            price.hourly * endpoint.instance_count * share
        )


def month_projection(daily: dict[date, Decimal], today: date) -> tuple[Decimal, Decimal]:
    """(spent this month, a simple month-end projection: the last 7 days' average for the rest)."""
    first = today.replace(day=1)
    spent = sum((amount for day, amount in daily.items() if first <= day <= today), Decimal(0))
    recent = [daily.get(today - timedelta(days=offset), Decimal(0)) for offset in range(1, 8)]
    next_month = (first + timedelta(days=32)).replace(day=1)
    remaining = (next_month - today).days - 1 + Decimal("0.5")  # the rest of today counts half
    return spent, spent + sum(recent, Decimal(0)) / 7 * remaining


# How each team's budget relates to its spend, so every budget alert has a case whatever the day.
BUDGET_POLICY: dict[str, tuple[str, str]] = {
    "search": ("projected", "0.85"),  # will cross before the month ends: budget_forecast
    "support": ("projected", "1.6"),  # comfortable
    "research": ("spent", "0.9"),  # already over: budget_threshold 100%, critical
    "marketing": ("projected", "1.25"),
    "platform": ("projected", "1.3"),
    "data": ("projected", "1.05"),  # close: the 80% threshold late in the month
}


def budgets(world: World) -> dict[str, Decimal]:
    """Monthly budgets per team, rounded up to $50, from the bill and BUDGET_POLICY."""
    today = world.now.astimezone(UTC).date()
    spend = world.team_daily()
    result = {}
    for team in TEAMS:
        basis, factor = BUDGET_POLICY[team]
        spent, projected = month_projection(spend.get(team, {}), today)
        amount = (spent if basis == "spent" else projected) * Decimal(factor)
        result[team] = max(Decimal(50), (amount / 50).to_integral_value(ROUND_CEILING) * 50)
    return result


def demo_config(world: World, days: int) -> str:
    """The demo's config file: teams and budgets, the profiles' owners, rules and a log channel."""
    amounts = budgets(world)
    profiles = "\n".join(
        f"    {m.model_id}: {{team: {m.team}, model: {m.base_model}}}" for m in MODELS if m.team
    )
    teams = "\n".join(
        f"  - {{name: {team}, monthly_budget_usd: {amounts[team]}}}" for team in TEAMS
    )
    backfill = f"{days + 1}d"
    return f"""\
# The demo organisation, written by `genai-monitor demo`. Budgets are set from the generated
# spend so that every alert rule has a case to show.
regions: [{", ".join(REGIONS)}]
attribution:
  tag_key: team
  # the local stand-in has no bedrock:ListInferenceProfiles: the profiles' owners are mapped here
  discover_inference_profiles: false
  inference_profiles:
{profiles}
teams:
{teams}
collection:
  bedrock: {{initial_backfill: {backfill}}}
  sagemaker: {{initial_backfill: {backfill}}}
  costs: {{initial_backfill: {backfill}}}
alerts:
  default_route: [{LOG_CHANNEL}]
  rules:
    - {{kind: idle_endpoint, for: 24h}}
    - {{kind: budget_threshold, thresholds: [0.5, 0.8, 1.0]}}
    - {{kind: budget_forecast}}
    - {{kind: spend_spike, factor: 3, baseline_days: 14, min_increase_usd: 20}}
    - {{kind: stale_data, for: 6h}}
notifiers:
  {LOG_CHANNEL}: {{type: log}}
"""


# --- Cost Explorer answers, in the order the collector asks ---


def _month_segments(first: date, end: date) -> list[tuple[date, date]]:
    segments = []
    cursor = first
    while cursor < end:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        segments.append((cursor, min(next_month, end)))
        cursor = segments[-1][1]
    return segments


def _amount(value: Decimal) -> dict[str, str]:
    return {"Amount": str(value), "Unit": "USD"}


def cost_explorer_answers(
    world: World, windows: list[tuple[datetime, datetime]], account_id: str = ACCOUNT
) -> list[dict[str, Any]]:
    """GetCostAndUsage answers for a costs cycle over these windows, in the order it asks.

    The collector asks once MONTHLY (SERVICE x LINKED_ACCOUNT) over the whole range, then
    DAILY per window and (account, service) pair (USAGE_TYPE x TAG): see collector/cost_explorer.py.
    The pairs are computed with the collector's own ``PreparedTarget`` so the order matches.
    """
    from collector.cost_explorer import PreparedTarget, day_range

    if not windows:
        return []
    items = world.cost_items()
    today = world.now.astimezone(UTC).date()
    first, end = day_range(windows[0][0], windows[-1][1])
    answers: list[dict[str, Any]] = []
    months: list[tuple[date, date, frozenset[tuple[str, str]]]] = []
    results = []
    for seg_start, seg_end in _month_segments(first, end):
        per_service: dict[str, Decimal] = defaultdict(Decimal)
        for item in items:
            if seg_start <= item.day < seg_end:
                per_service[item.service] += item.amount
        months.append(
            (seg_start, seg_end, frozenset((account_id, service) for service in per_service))
        )
        results.append(
            {
                "TimePeriod": {"Start": seg_start.isoformat(), "End": seg_end.isoformat()},
                "Total": {},
                "Groups": [
                    {"Keys": [service, account_id], "Metrics": {"UnblendedCost": _amount(amount)}}
                    for service, amount in sorted(per_service.items())
                ],
                "Estimated": seg_end > today,
            }
        )
    if first < end:
        answers.append({"ResultsByTime": results, "DimensionValueAttributes": []})
    prepared = PreparedTarget(Target(account_id, "us-east-1"), months)
    for window_start, window_end in windows:
        day_first, day_end = day_range(window_start, window_end)
        if day_first >= day_end:
            continue
        for _account, service in prepared.pairs(day_first, day_end):
            daily = []
            day = day_first
            while day < day_end:
                groups = [
                    {
                        "Keys": [item.usage_type, item.team_key],
                        "Metrics": {"UnblendedCost": _amount(item.amount)},
                    }
                    for item in items
                    if item.day == day and item.service == service
                ]
                daily.append(
                    {
                        "TimePeriod": {
                            "Start": day.isoformat(),
                            "End": (day + timedelta(days=1)).isoformat(),
                        },
                        "Total": {},
                        "Groups": groups,
                        "Estimated": day >= today - timedelta(days=1),
                    }
                )
                day += timedelta(days=1)
            answers.append({"ResultsByTime": daily, "DimensionValueAttributes": []})
    return answers


# --- the stand-in ---


@contextmanager
def indexed_metric_data() -> Iterator[None]:
    """Give the in-process moto CloudWatch an indexed GetMetricData while the demo runs.

    moto scans every stored datapoint for every query and period (pure Python), which makes 90
    days of a dozen models take many minutes. This answers the same MetricStat queries from an
    index by (namespace, metric, dimensions) and time: the stand-in's speed, not the product's.
    Queries it does not index (no dimensions, expressions) go to moto's own implementation.
    """
    from moto.cloudwatch.models import CloudWatchBackend, Statistics

    original = CloudWatchBackend.get_metric_data
    indexes: dict[int, tuple[int, dict[tuple[Any, ...], tuple[list[datetime], list[Any]]]]] = {}

    def index_of(backend: Any) -> dict[tuple[Any, ...], tuple[list[datetime], list[Any]]]:
        data = backend.get_all_metrics()
        cached = indexes.get(id(backend))
        if cached is not None and cached[0] == len(data):
            return cached[1]
        grouped: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
        for datum in data:
            dims = tuple(sorted((d.name, d.value) for d in datum.dimensions))
            grouped[(datum.namespace, datum.name, dims)].append(datum)
        index = {}
        for key, items in grouped.items():
            items.sort(key=lambda d: d.timestamp)
            index[key] = ([d.timestamp for d in items], items)
        indexes[id(backend)] = (len(data), index)
        return index

    def get_metric_data(
        self: Any,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        simple = all(
            "MetricStat" in q
            and q["MetricStat"]["Metric"].get("Dimensions")
            and not q["MetricStat"].get("Unit")
            for q in queries
        )
        start_time, end_time = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        if not simple or start_time >= end_time:
            return original(self, queries, start_time, end_time, scan_by)
        index = index_of(self)
        results = []
        for query in queries:
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
            period = start_time
            while period <= end_time:
                low = bisect.bisect_left(stamps, period)
                high = bisect.bisect_left(stamps, min(period + delta, end_time))
                if high > low:
                    stats = Statistics([stat["Stat"]], period)
                    stats.metric_data = items[low:high]
                    values.append(stats.get_statistics_for_type(stat["Stat"]))
                    timestamps.append(period)
                period += delta
            if scan_by == "TimestampDescending":
                values.reverse()
                timestamps.reverse()
            if query.get("ReturnData", True):
                label = query.get("Label") or f"{metric['MetricName']} {stat['Stat']}"
                results.append(
                    {
                        "id": query["Id"],
                        "label": label,
                        "values": values,
                        "timestamps": timestamps,
                        "status_code": "Complete",
                    }
                )
        return results

    CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]
    try:
        yield
    finally:
        CloudWatchBackend.get_metric_data = original  # type: ignore[method-assign]


_DEMO_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_MAX_ATTEMPTS",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
)


@contextmanager
def local_aws() -> Iterator[str]:
    """Start moto's server on a free loopback port and point this process's AWS clients at it."""
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
        with indexed_metric_data():
            yield url
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@contextmanager
def sagemaker_clock(moment: datetime) -> Iterator[None]:
    """Make the in-process moto SageMaker stamp new endpoints with ``moment`` (it uses real time)."""
    import moto.sagemaker.models as sagemaker_models

    original = sagemaker_models.utcnow
    sagemaker_models.utcnow = lambda: moment.astimezone(UTC).replace(tzinfo=None)
    try:
        yield
    finally:
        sagemaker_models.utcnow = original


def _put_metrics(
    clients: ClientFactory, region: str, namespace: str, data: Iterable[dict[str, Any]]
) -> int:
    client = clients("cloudwatch", Target(ACCOUNT, region))
    batch: list[dict[str, Any]] = []
    count = 0
    for datum in data:
        batch.append(datum)
        if len(batch) == 1000:  # PutMetricData's limit
            client.put_metric_data(Namespace=namespace, MetricData=batch)
            count, batch = count + len(batch), []
    if batch:
        client.put_metric_data(Namespace=namespace, MetricData=batch)
        count += len(batch)
    return count


def seed_metrics(world: World, clients: ClientFactory) -> int:
    """Put the Bedrock and SageMaker metrics into the stand-in's CloudWatch; returns datapoints put."""
    count = 0
    for region, points in world.bedrock_points.items():
        count += _put_metrics(
            clients,
            region,
            "AWS/Bedrock",
            (
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "ModelId", "Value": model_id}],
                    "Timestamp": at,
                    "Value": value,
                }
                for model_id, metric, at, value in points
            ),
        )
    for region, points in world.sagemaker_points.items():
        count += _put_metrics(
            clients,
            region,
            "AWS/SageMaker",
            (
                {
                    "MetricName": "Invocations",
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": name},
                        {"Name": "VariantName", "Value": variant},
                    ],
                    "Timestamp": at,
                    "Value": value,
                }
                for name, variant, at, value in points
            ),
        )
    return count


def seed_endpoints(now: datetime, clients: ClientFactory) -> int:
    """Create the eight endpoints in the stand-in's SageMaker, back-dated; returns how many."""
    for endpoint in ENDPOINTS:
        sagemaker = clients("sagemaker", Target(ACCOUNT, endpoint.region))
        model = f"{endpoint.name}-model"
        sagemaker.create_model(
            ModelName=model,
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecution",
            PrimaryContainer={
                "Image": f"{ACCOUNT}.dkr.ecr.{endpoint.region}.amazonaws.com/{endpoint.team}/{endpoint.name}:latest"
            },
        )
        variant: dict[str, Any] = {"VariantName": "AllTraffic", "ModelName": model}
        if endpoint.kind == "serverless":
            variant["ServerlessConfig"] = {
                "MemorySizeInMB": SERVERLESS_MEMORY_MB,
                "MaxConcurrency": 10,
            }
        else:
            variant.update(
                InstanceType=endpoint.instance_type,
                InitialInstanceCount=endpoint.instance_count,
                InitialVariantWeight=1.0,
            )
        config: dict[str, Any] = {
            "EndpointConfigName": f"{endpoint.name}-config",
            "ProductionVariants": [variant],
        }
        if endpoint.kind == "async":
            config["AsyncInferenceConfig"] = {
                "OutputConfig": {"S3OutputPath": f"s3://demo-{endpoint.team}-async/out"}
            }
        sagemaker.create_endpoint_config(**config)
        tags = [{"Key": "team", "Value": endpoint.team}]
        if endpoint.keep_alive_days is not None:
            until = (now + timedelta(days=endpoint.keep_alive_days)).date().isoformat()
            tags.append({"Key": "keep-alive-until", "Value": until})
        with sagemaker_clock(endpoint_created_at(endpoint, now)):
            sagemaker.create_endpoint(
                EndpointName=endpoint.name, EndpointConfigName=f"{endpoint.name}-config", Tags=tags
            )
    return len(ENDPOINTS)


def queue_cost_answers(url: str, answers: list[dict[str, Any]], account_id: str = ACCOUNT) -> None:
    """Queue GetCostAndUsage answers in moto: each new request takes the next one, in order."""
    body = json.dumps({"results": answers, "account_id": account_id}).encode()
    request = urllib.request.Request(
        f"{url}/moto-api/static/ce/cost-and-usage-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the loopback stand-in
        if response.status != 201:
            raise RuntimeError(
                f"the AWS stand-in refused the Cost Explorer answers: HTTP {response.status}"
            )


# --- the whole demo ---


@dataclass
class DemoResult:
    """Where the demo's data went and what happened on the way."""

    database_url: str
    config: MonitorConfig
    config_path: Path
    now: datetime
    datapoints: int
    endpoints: int
    rows: dict[str, int]
    failed: list[str]
    alert_changes: dict[str, int]
    notifications_delivered: int
    seconds: dict[str, float]


def build_demo(
    directory: Path,
    days: int = DEFAULT_DAYS,
    database_url: str | None = None,
    progress: Callable[[str], None] = log.info,
    now: datetime | None = None,
) -> DemoResult:
    """Start the stand-in, seed it, collect everything into the database, evaluate the alerts.

    The database (SQLite under ``directory`` unless ``database_url`` is given) is replaced.
    The stand-in is stopped before returning: the dashboard needs only the database. ``now``
    pins the demo's clock (tests); by default it is the real time.
    """
    from functools import partial

    from alerts.notifiers import build_notifiers
    from alerts.service import cycle
    from alerts.snapshot_source import build_snapshot
    from collector.runner import Runner
    from monitor.context import AppContext

    clock = time.monotonic()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        seconds[name] = time.monotonic() - clock
        clock = time.monotonic()

    directory.mkdir(parents=True, exist_ok=True)
    pinned = now
    now = pinned or utcnow()

    def clock_now() -> datetime:
        return pinned or utcnow()

    world = generate(now, days)
    config_path = directory / "genai-monitor.yaml"
    config_path.write_text(demo_config(world, days), encoding="utf-8")
    if database_url is None:
        database_file = (directory / "demo.db").resolve()
        for stale in (
            database_file,
            database_file.with_name("demo.db-wal"),
            database_file.with_name("demo.db-shm"),
        ):
            stale.unlink(missing_ok=True)
        database_url = f"sqlite:///{database_file}"
    lap("generate")
    with local_aws() as url:
        progress(f"local AWS stand-in (moto) at {url}")
        seeding = ClientFactory()
        datapoints = seed_metrics(world, seeding)
        endpoints = seed_endpoints(now, seeding)
        progress(
            f"seeded {datapoints:,} CloudWatch datapoints over {days} days and {endpoints} SageMaker endpoints"
        )
        lap("seed")
        app = AppContext(EnvSettings(database_url, config_path, config_path_explicit=True))
        sessions = app.database()
        runner = Runner(sessions, app.clients.counter, clock_now)
        targets = app.targets()
        rows: dict[str, int] = {}
        failed: list[str] = []
        for name, source in app.sources().items():
            plans = runner.plan(source, source.targets(targets))
            if name == "costs":
                for plan in plans:
                    windows = [(window.start, window.end) for window in plan.windows]
                    queue_cost_answers(
                        url, cost_explorer_answers(world, windows, plan.target.account_id)
                    )
            result = runner.run(source, plans)
            rows[name] = result.rows
            failed += [
                f"{name} {outcome.target.label}: {outcome.message}"
                for outcome in result.outcomes
                if outcome.status != "succeeded"
            ]
            progress(f"collected {name}: {result.rows:,} rows over {len(plans)} target(s)")
            lap(f"collect {name}")
        channels = build_notifiers(app.config.notifiers, app.clients)
        summary, report = cycle(
            sessions, app.config, partial(build_snapshot, app.config), channels, clock_now
        )
        lap("alerts")
    app.engine.dispose()
    changes = {what: summary.count(what) for what in ("opened", "fired", "resolved", "notify")}
    return DemoResult(
        database_url,
        app.config,
        config_path,
        now,
        datapoints,
        endpoints,
        rows,
        failed,
        changes,
        report.delivered,
        seconds,
    )


def summary_lines(result: DemoResult) -> list[str]:
    """What a newcomer should see after the demo: spend against budget, idle endpoints, alerts."""
    from core.db import make_engine, session_factory
    from core.queries.alerts import alert_rows
    from core.queries.budgets import budget_use
    from core.queries.costs import bedrock_reconciliation
    from core.queries.endpoints import endpoint_summaries

    engine = make_engine(result.database_url)
    lines: list[str] = []
    try:
        with session_factory(engine)() as session:
            today = result.now.astimezone(UTC).date()
            estimated: dict[str, Decimal] = defaultdict(Decimal)
            billed: dict[str, Decimal] = defaultdict(Decimal)
            for line in bedrock_reconciliation(
                session, today.replace(day=1), today + timedelta(days=1)
            ):
                estimated[line.team] += line.estimated_usd
                billed[line.team] += line.billed_usd
            lines.append(
                "This month (USD): Bedrock estimated from token metrics vs billed, and all GenAI spend against budget"
            )
            lines.append(
                f"{'team':<14}{'Bedrock est.':>14}{'Bedrock bill':>14}{'GenAI bill':>12}{'budget':>10}{'used':>7}{'projected':>12}"
            )
            for use in budget_use(session, result.now):
                if use.service != "all":
                    continue
                used = f"{use.used:.0%}" if use.used is not None else "-"
                lines.append(
                    f"{use.team:<14}{estimated[use.team]:>14,.2f}{billed[use.team]:>14,.2f}{use.spent_usd:>12,.2f}"
                    f"{use.budget_usd:>10,.0f}{used:>7}{use.projection.projected_usd:>12,.2f}"
                )
            if estimated.get("unattributed") or billed.get("unattributed"):
                lines.append(
                    f"{'unattributed':<14}{estimated['unattributed']:>14,.2f}{billed['unattributed']:>14,.2f}"
                )
            lines.append("")
            lines.append(f"{'endpoint':<28}{'team':<11}{'type':<11}{'idle h':>8}{'idle cost':>11}")
            for endpoint in endpoint_summaries(session, end=result.now, include_deleted=False):
                idle = "-" if endpoint.idle_hours is None else f"{endpoint.idle_hours:,.0f}"
                cost = "-" if endpoint.idle_cost_usd is None else f"{endpoint.idle_cost_usd:,.2f}"
                lines.append(
                    f"{endpoint.endpoint_name:<28}{endpoint.team:<11}{endpoint.endpoint_type:<11}{idle:>8}{cost:>11}"
                )
            lines.append("")
            alerts = alert_rows(session, ["pending", "firing", "silenced"])
            lines.append(
                f"{len(alerts)} open alert(s), {result.notifications_delivered} notification(s) delivered to the log channel:"
            )
            lines += [
                f"  {alert.state:<9}{alert.severity:<9}{alert.rule:<17}{alert.message}"
                for alert in alerts
            ]
    finally:
        engine.dispose()
    return lines
