"""The generator: the organisation of `demo.world` at a moment, as metrics and a bill (pure).

Time in, world out: the Bedrock and SageMaker datapoints CloudWatch would hold and the Cost
Explorer lines computed from the same usage, so the bill and the token estimate agree the way a
real bill does. Random jitter is seeded per model and endpoint: the same ``now`` gives the same
world.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core.pricing import InstancePriceCatalog, PriceCatalog
from core.services import BEDROCK_SERVICE, SAGEMAKER_SERVICE, marketplace_service
from core.timeutil import floor_hour
from demo.world import (
    BILLING_LAG,
    CALLER_TEAMS,
    DEFAULT_DAYS,
    ENDPOINTS,
    MODELS,
    REGION_CODES,
    SERVERLESS_MEMORY_MB,
    SERVERLESS_SECONDS_PER_INVOCATION,
    SERVERLESS_USD_PER_INVOCATION,
    DemoEndpoint,
    DemoModel,
    activity,
    endpoint_created_at,
    growth,
)

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
# the CloudWatch metric of each token kind but input (always published): only when non-zero
TOKEN_METRICS = {
    "output": "OutputTokenCount",
    "cache_read": "CacheReadInputTokenCount",
    "cache_write": "CacheWriteInputTokenCount",
}
# a bill line's key: (day, service, usage type, cost allocation tag group like "team$search")
CostKey = tuple[date, str, str, str]
Point = tuple[str, str, datetime, float]


@dataclass
class CostItem:
    """One Cost Explorer line: a day, service, usage type and cost allocation tag group."""

    day: date
    service: str
    usage_type: str
    team_key: str
    amount: Decimal
    quantity: Decimal = Decimal(0)  # UsageQuantity, in the usage type's unit
    unit: str = "N/A"
    # the tags of the IAM principal that called (Cost Explorer's `iamPrincipal/<key>` tags)
    principal_tags: tuple[tuple[str, str], ...] = ()


@dataclass
class World:
    """Everything the stand-in is seeded with, and what the bill says."""

    now: datetime
    start: datetime
    # region -> (ModelId, metric, timestamp, value)
    bedrock_points: dict[str, list[Point]] = field(default_factory=lambda: defaultdict(list))
    # region -> (endpoint, variant, timestamp, invocations)
    sagemaker_points: dict[str, list[Point]] = field(default_factory=lambda: defaultdict(list))
    # region -> (endpoint, variant, timestamp, ModelLatency microseconds) of serverless endpoints
    sagemaker_latency: dict[str, list[Point]] = field(default_factory=lambda: defaultdict(list))
    costs: dict[CostKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    quantities: dict[CostKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # the tags of the principal that called each Bedrock line (absent: an untagged caller)
    principal_tags: dict[CostKey, dict[str, str]] = field(default_factory=dict)
    # the SageMaker part of ``costs`` per endpoint: (day, usage type, team key, region, endpoint)
    endpoint_costs: dict[tuple[date, str, str, str, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )

    @property
    def billed_until(self) -> datetime:
        """The end of the last hour Cost Explorer has billed."""
        return self.now - BILLING_LAG

    def cost_items(self) -> list[CostItem]:
        """The bill's lines, sorted."""
        return [
            CostItem(
                day,
                service,
                usage,
                team,
                amount,
                self.quantities.get((day, service, usage, team), Decimal(0)),
                usage_unit(usage),
                tuple(sorted(self.principal_tags.get((day, service, usage, team), {}).items())),
            )
            for (day, service, usage, team), amount in sorted(self.costs.items())
            if amount > 0
        ]

    def team_daily(self) -> dict[str, dict[date, Decimal]]:
        """Billed spend per team (tag value; untagged is ``unattributed``) and day."""
        spend: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for (day, _service, _usage, key), amount in self.costs.items():
            spend[key.split("$", 1)[1] or "unattributed"][day] += amount
        return spend


def usage_unit(usage_type: str) -> str:
    """The unit Cost Explorer counts a demo usage type's UsageQuantity in."""
    if usage_type.endswith("tokens") or usage_type.endswith("-Units"):
        return "1K tokens"
    if "ServerlessInf" in usage_type:
        return "Requests"
    return "Hrs"


def team_key(team: str | None) -> str:
    """The cost allocation tag group Cost Explorer reports for a team (``team$`` untagged)."""
    return f"team${team or ''}"


def bedrock_usage_types(model: DemoModel) -> tuple[str, dict[str, str]]:
    """The service and the usage type per token kind, as Cost Explorer names them."""
    code = REGION_CODES[model.region]
    if model.marketplace:
        units = {
            "input": "InputTokenCount",
            "output": "OutputTokenCount",
            "cache_read": "CacheReadInputTokenCount",
            "cache_write": "CacheWriteInputTokenCount",
        }
        return marketplace_service(model.marketplace), {
            kind: f"{code}-MP:{code}_{unit}-Units" for kind, unit in units.items()
        }
    suffixes = {
        "input": "input-tokens",
        "output": "output-tokens",
        "cache_read": "cache-read-input-tokens",
        "cache_write": "cache-write-input-tokens",
    }
    return BEDROCK_SERVICE, {
        kind: f"{code}-{model.usage_name}-{suffix}" for kind, suffix in suffixes.items()
    }


def token_prices(model: DemoModel, catalog: PriceCatalog) -> dict[str, Decimal]:
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


def history_start(now: datetime, days: int) -> datetime:
    """Midnight UTC ``days`` whole days before today: where the history starts."""
    today = now.astimezone(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=days)


def generate(
    now: datetime,
    days: int = DEFAULT_DAYS,
    catalog: PriceCatalog | None = None,
    instances: InstancePriceCatalog | None = None,
) -> World:
    """The organisation's metrics and bill for the ``days`` whole UTC days before now and today so far."""
    catalog = catalog or PriceCatalog.load()
    instances = instances or InstancePriceCatalog.load()
    start = history_start(now, days)
    world = World(now=now, start=start)
    last = floor_hour(now)  # the current hour is still open: nothing is published for it yet
    hours = [
        start + timedelta(hours=offset)
        for offset in range(int((last - start) / timedelta(hours=1)))
    ]
    for index, model in enumerate(MODELS):
        jitter = random.Random(index)  # noqa: S311 - demo data, not security
        _model_history(world, model, hours, days, jitter, catalog)
    for index, endpoint in enumerate(ENDPOINTS):
        jitter = random.Random(100 + index)  # noqa: S311 - demo data
        _endpoint_history(world, endpoint, hours, jitter, instances)
    world.costs = defaultdict(
        Decimal, {key: amount.quantize(Decimal("0.000001")) for key, amount in world.costs.items()}
    )
    return world


def model_scale(model: DemoModel, hour: datetime, now: datetime, days: int, jitter: float) -> float:
    """How busy a model is in an hour, as a share of its weekday peak today."""
    scale = activity(hour, model.always_on) * growth(hour, now, days) * jitter
    if hour.date() == now.astimezone(UTC).date() - timedelta(days=1):
        scale *= model.spike_yesterday
    return scale


def model_metrics(
    model: DemoModel, calls: int, scale: float, jitter: random.Random
) -> list[tuple[str, float]]:
    """One hour's AWS/Bedrock metrics of a model called ``calls`` times."""
    tokens = model_tokens(model, calls)
    metrics: list[tuple[str, float]] = [
        ("Invocations", calls),
        ("InputTokenCount", tokens["input"]),
        ("InvocationLatency", round(model.latency_ms * (0.8 + 0.4 * scale))),
    ]
    metrics += [(TOKEN_METRICS[kind], tokens[kind]) for kind in TOKEN_METRICS if tokens[kind]]
    if scale > 0.9 and model.always_on:
        metrics.append(("InvocationThrottles", max(1, calls // 60)))
    if calls >= 200 and jitter.random() < 0.1:
        metrics.append(("InvocationClientErrors", 1 + calls // 500))
    return metrics


def model_tokens(model: DemoModel, calls: int) -> dict[str, int]:
    """Tokens per kind for ``calls`` calls."""
    return {
        "input": calls * model.input_per_call,
        "output": calls * model.output_per_call,
        "cache_read": calls * model.cache_read_per_call,
        "cache_write": calls * model.cache_write_per_call,
    }


def _model_history(
    world: World,
    model: DemoModel,
    hours: list[datetime],
    days: int,
    jitter: random.Random,
    catalog: PriceCatalog,
) -> None:
    """The model's hourly metrics and its token bill."""
    service, usage_types = bedrock_usage_types(model)
    prices = token_prices(model, catalog)
    points = world.bedrock_points[model.region]
    caller = model.team or CALLER_TEAMS.get(model.model_id)
    for hour in hours:
        scale = model_scale(model, hour, world.now, days, jitter.uniform(0.85, 1.15))
        calls = round(model.calls_per_hour * scale)
        if calls == 0:
            continue
        at = hour + timedelta(minutes=30)
        metrics = model_metrics(model, calls, scale, jitter)
        points.extend((model.model_id, metric, at, value) for metric, value in metrics)
        if hour + timedelta(hours=1) > world.billed_until:
            continue
        for kind, count in model_tokens(model, calls).items():
            if count:
                key = (hour.date(), service, usage_types[kind], team_key(model.team))
                world.costs[key] += count * prices[kind] / 1_000_000
                world.quantities[key] += Decimal(count) / 1000
                if caller:
                    world.principal_tags[key] = {"team": caller}


def endpoint_calls(
    endpoint: DemoEndpoint, hour: datetime, quiet_from: datetime | None, jitter: random.Random
) -> int:
    """An endpoint's invocations in an hour: none once it went quiet, at least one when busy."""
    end = hour + timedelta(hours=1)
    if endpoint.idle_hours is not None and (quiet_from is None or end > quiet_from):
        return 0
    busy = endpoint.kind == "real-time" and endpoint.idle_hours is None
    calls = round(endpoint.calls_per_hour * activity(hour, busy) * jitter.uniform(0.8, 1.2))
    return max(calls, 1) if busy else calls  # a production endpoint is never silent for an hour


def endpoint_bill(
    endpoint: DemoEndpoint,
    hour: datetime,
    created: datetime,
    calls: int,
    hourly: Decimal | None,
) -> tuple[str, Decimal] | None:
    """The endpoint's (usage type, amount) for an hour: per request when serverless, else per
    instance-hour (the share of the hour it existed); None when a serverless hour had no call."""
    code = REGION_CODES[endpoint.region]
    if endpoint.kind == "serverless":
        if not calls:
            return None
        usage = f"{code}-ServerlessInf:Mem-{SERVERLESS_MEMORY_MB // 1024}GB"
        return usage, calls * SERVERLESS_USD_PER_INVOCATION
    assert hourly is not None, f"no price for {endpoint.instance_type}"
    end = hour + timedelta(hours=1)
    share = Decimal(str(min(1.0, (end - max(hour, created)) / timedelta(hours=1))))
    kind = "AsyncInf" if endpoint.kind == "async" else "Host"
    return f"{code}-{kind}:{endpoint.instance_type}", hourly * endpoint.instance_count * share


def _endpoint_history(
    world: World,
    endpoint: DemoEndpoint,
    hours: list[datetime],
    jitter: random.Random,
    instances: InstancePriceCatalog,
) -> None:
    """The endpoint's hourly invocations and its instance (or per-request) bill."""
    created = endpoint_created_at(endpoint, world.now)
    idle = endpoint.idle_hours
    quiet_from = (
        world.now - timedelta(hours=idle) if idle is not None and not math.isinf(idle) else None
    )
    price = (
        instances.price(endpoint.instance_type, endpoint.region) if endpoint.instance_type else None
    )
    for hour in hours:
        end = hour + timedelta(hours=1)
        if end <= created:
            continue
        calls = endpoint_calls(endpoint, hour, quiet_from, jitter)
        if calls:
            at = hour + timedelta(minutes=30)
            world.sagemaker_points[endpoint.region].append((endpoint.name, "AllTraffic", at, calls))
            if endpoint.kind == "serverless":
                latency = int(calls * SERVERLESS_SECONDS_PER_INVOCATION * 1_000_000)
                world.sagemaker_latency[endpoint.region].append(
                    (endpoint.name, "AllTraffic", at, latency)
                )
        if end > world.billed_until:
            continue
        bill = endpoint_bill(endpoint, hour, created, calls, price.hourly if price else None)
        if bill is not None:
            usage, amount = bill
            key = (hour.date(), SAGEMAKER_SERVICE, usage, team_key(endpoint.team))
            world.costs[key] += amount
            world.endpoint_costs[(key[0], usage, key[3], endpoint.region, endpoint.name)] += amount
            # instance-hours at the list price, or requests when serverless
            world.quantities[key] += amount / price.hourly if price else Decimal(calls)
