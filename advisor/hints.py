"""Right-sizing: cheaper ways to serve an endpoint's observed traffic, each with its saving."""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from decimal import Decimal

from advisor.catalog import (
    MILLION,
    SECONDS_PER_HOUR,
    Assumption,
    HostingCatalog,
    ServingOption,
    usd,
)
from core.pricing import InstancePriceCatalog, PriceCatalog
from core.settings import AdvisorConfig
from core.usage import EndpointUsage

# An endpoint idle at least this share of its hours in service would do better scaling to zero.
SCALE_TO_ZERO_SHARE = Decimal("0.5")


@dataclass(frozen=True)
class Hint:
    """One suggestion for an endpoint: what to change, the monthly saving, and on what assumptions."""

    endpoint_name: str
    team: str
    kind: str  # bedrock, scale_to_zero, fewer_instances, smaller_instance
    suggestion: str
    monthly_saving_usd: Decimal
    assumptions: list[Assumption] = field(default_factory=list)


def comparable_model(endpoint_name: str, config: AdvisorConfig) -> str | None:
    """The Bedrock model the config names as comparable to an endpoint, by name pattern."""
    for pattern, model in config.endpoint_models.items():
        if fnmatch.fnmatchcase(endpoint_name, pattern):
            return model
    return None


@dataclass(frozen=True)
class _Frame:
    """What every hint of one endpoint shares: the month, the traffic's tokens, the base assumptions."""

    endpoint: EndpointUsage
    month: Decimal
    utilisation: Decimal
    monthly_cost: Decimal
    tokens_in: Decimal
    tokens_out: Decimal
    base: list[Assumption]
    per_call: list[Assumption]

    def hint(
        self, kind: str, suggestion: str, saving: Decimal, assumptions: list[Assumption]
    ) -> Hint:
        """A hint about this endpoint."""
        return Hint(
            self.endpoint.endpoint_name, self.endpoint.team, kind, suggestion, saving, assumptions
        )


def _frame(endpoint: EndpointUsage, config: AdvisorConfig, cost: Decimal) -> _Frame:
    month = Decimal(str(config.hours_per_month))
    tokens_in = Decimal(config.tokens_per_invocation.get("input", 0))
    tokens_out = Decimal(config.tokens_per_invocation.get("output", 0))
    base = [
        Assumption(
            "hours per month", str(config.hours_per_month), "config advisor.hours_per_month"
        ),
        Assumption(
            f"{endpoint.endpoint_name} cost",
            f"${usd(cost)} over {endpoint.hours_in_service.normalize():f} hours in service",
            "endpoint_hourly (collected)",
        ),
    ]
    per_call = [
        Assumption(
            "tokens per invocation",
            f"{tokens_in} input, {tokens_out} output",
            "config advisor.tokens_per_invocation",
        )
    ]
    return _Frame(
        endpoint,
        month,
        Decimal(str(config.utilisation_target)),
        cost * month / endpoint.hours_in_service,
        tokens_in,
        tokens_out,
        base,
        per_call,
    )


def _bedrock_hint(frame: _Frame, model: str | None, prices: PriceCatalog) -> Hint | None:
    """Serve the traffic with the comparable Bedrock model, when that costs less."""
    endpoint = frame.endpoint
    price = prices.price(model, endpoint.region) if model else None
    if model is None or price is None:
        return None
    calls_per_month = Decimal(endpoint.invocations) * frame.month / endpoint.hours_in_service
    bedrock = usd(
        calls_per_month
        * (frame.tokens_in * price.input + frame.tokens_out * price.output)
        / MILLION
    )
    if bedrock >= frame.monthly_cost:
        return None
    return frame.hint(
        "bedrock",
        f"serve this traffic with Bedrock {model}: ${bedrock:,}/month instead of ${usd(frame.monthly_cost):,}",
        usd(frame.monthly_cost - bedrock),
        [
            *frame.base,
            *frame.per_call,
            Assumption("comparable Bedrock model", model, "config advisor.endpoint_models"),
            Assumption(
                f"{model} Bedrock price",
                f"${price.input}/${price.output} per million tokens",
                f"core/prices/bedrock.yaml ({price.source})",
            ),
        ],
    )


def _scale_to_zero_hint(frame: _Frame) -> Hint | None:
    """A real-time endpoint without calls in most of its hours pays for idle capacity."""
    endpoint = frame.endpoint
    share = endpoint.hours_without_calls / endpoint.hours_in_service
    if endpoint.endpoint_type != "real-time" or share < SCALE_TO_ZERO_SHARE:
        return None
    return frame.hint(
        "scale_to_zero",
        f"no calls in {share:.0%} of its hours: an asynchronous endpoint scaling to zero, or serverless, would stop paying for them",
        usd(frame.monthly_cost * share),
        [
            *frame.base,
            Assumption(
                "hours without calls",
                str(endpoint.hours_without_calls),
                "endpoint_hourly (collected)",
            ),
            Assumption(
                "scale-in",
                "capacity drops within the idle hour; cold starts are acceptable",
                "advisor rule",
            ),
        ],
    )


def _sizing_hints(
    frame: _Frame,
    model: str | None,
    hosting: HostingCatalog,
    instances: InstancePriceCatalog,
) -> list[Hint]:
    """Fewer or smaller instances that would still carry the peak hour at the target utilisation."""
    endpoint = frame.endpoint
    family = hosting.family_of_model(model) if model else None
    current = instances.price(endpoint.instance_type or "", endpoint.region)
    if family is None or current is None or endpoint.instance_count <= 0:
        return []
    options = {
        option.instance_type: option
        for option in hosting.options(family, instances, endpoint.region)
    }
    serving = options.get(endpoint.instance_type or "")
    if serving is None:
        return []

    def capacity(option: ServingOption) -> Decimal:
        """Invocations per hour one instance serves at the target utilisation."""
        return (
            SECONDS_PER_HOUR
            * frame.utilisation
            / option.seconds_for(frame.tokens_in, frame.tokens_out)
        )

    peak = Decimal(endpoint.peak_hour_invocations)
    needed = max(1, math.ceil(peak / capacity(serving)))
    sizing = [
        *frame.base,
        *frame.per_call,
        Assumption(
            "peak hour",
            f"{endpoint.peak_hour_invocations} invocations",
            "endpoint_hourly (collected)",
        ),
        Assumption(
            "peak utilisation target",
            f"{frame.utilisation:.0%}",
            "config advisor.utilisation_target",
        ),
    ]
    hints: list[Hint] = []
    if needed < endpoint.instance_count:
        hints.append(
            frame.hint(
                "fewer_instances",
                f"{needed} x {endpoint.instance_type} would carry the peak hour instead of {endpoint.instance_count}",
                usd(current.hourly * (endpoint.instance_count - needed) * frame.month),
                [*sizing, *serving.assumptions(endpoint.region)],
            )
        )
    count = min(needed, endpoint.instance_count)
    cheaper = [
        o
        for o in options.values()
        if o.hourly_usd < current.hourly and math.ceil(peak / capacity(o)) <= count
    ]
    if cheaper:
        best = min(cheaper, key=lambda o: o.hourly_usd)
        hints.append(
            frame.hint(
                "smaller_instance",
                f"{count} x {best.instance_type} would carry the peak hour at ${best.hourly_usd}/hour instead of ${current.hourly}",
                usd((current.hourly - best.hourly_usd) * count * frame.month),
                [*sizing, *best.assumptions(endpoint.region)],
            )
        )
    return hints


def endpoint_hints(
    endpoint: EndpointUsage,
    prices: PriceCatalog,
    hosting: HostingCatalog,
    instances: InstancePriceCatalog,
) -> list[Hint]:
    """Cheaper ways to serve an endpoint's observed traffic, each with its saving and assumptions."""
    if endpoint.hours_in_service <= 0 or endpoint.cost_usd is None:
        return []
    frame = _frame(endpoint, hosting.config, endpoint.cost_usd)
    model = comparable_model(endpoint.endpoint_name, hosting.config)
    hints = [
        hint
        for hint in (_bedrock_hint(frame, model, prices), _scale_to_zero_hint(frame))
        if hint is not None
    ]
    return hints + _sizing_hints(frame, model, hosting, instances)
