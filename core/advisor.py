"""Token-priced or self-hosted? Break-even and right-sizing maths (pure), on catalog assumptions.

Every figure carries the assumptions it was computed from (``Assumption``), each naming the
catalog entry or config key it comes from, so a number on screen can be traced and changed.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

import yaml

from core.pricing import InstancePriceCatalog, PriceCatalog, TokenPrice, foundation_model_id
from core.settings import AdvisorConfig

MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")
SECONDS_PER_HOUR = Decimal(3600)
# An endpoint idle at least this share of its hours in service would do better scaling to zero.
SCALE_TO_ZERO_SHARE = Decimal("0.5")


def _usd(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Assumption:
    """One input of a figure: what it is, its value, and where it is set."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class ServingOption:
    """One instance type able to serve a model family, its throughput and its price."""

    family: str
    instance_type: str
    input_tps: Decimal
    output_tps: Decimal
    hourly_usd: Decimal
    throughput_source: str
    price_source: str

    def seconds_for(self, input_tokens: Decimal, output_tokens: Decimal) -> Decimal:
        """Instance-seconds needed to process some tokens at full speed."""
        return input_tokens / self.input_tps + output_tokens / self.output_tps

    def assumptions(self, region: str) -> list[Assumption]:
        """Where this option's numbers come from."""
        return [
            Assumption(
                f"{self.instance_type} input throughput",
                f"{self.input_tps} tokens/s",
                self.throughput_source,
            ),
            Assumption(
                f"{self.instance_type} output throughput",
                f"{self.output_tps} tokens/s",
                self.throughput_source,
            ),
            Assumption(
                f"{self.instance_type} price in {region}",
                f"${self.hourly_usd}/hour",
                f"core/prices/sagemaker.yaml ({self.price_source})",
            ),
        ]


@dataclass(frozen=True)
class Family:
    """An open-weight model family that Bedrock offers and SageMaker can host."""

    name: str
    description: str
    bedrock_models: tuple[str, ...]
    serving: tuple[dict[str, Any], ...]


class HostingCatalog:
    """The self-hosting assumptions of core/prices/hosting.yaml, with the config's overrides."""

    def __init__(
        self, families: dict[str, Family], source: str, as_of: str, config: AdvisorConfig
    ) -> None:
        self.families = families
        self.source = f"{source}, {as_of}"
        self.config = config

    @classmethod
    def load(cls, config: AdvisorConfig) -> HostingCatalog:
        """Load the shipped hosting catalog."""
        data = yaml.safe_load(
            resources.files("core.prices").joinpath("hosting.yaml").read_text(encoding="utf-8")
        )
        return cls.from_data(data, config)

    @classmethod
    def from_data(cls, data: dict[str, Any], config: AdvisorConfig) -> HostingCatalog:
        """Build the catalog from parsed data (the shape of core/prices/hosting.yaml)."""
        families = {
            name: Family(
                name,
                entry.get("description", name),
                tuple(entry.get("bedrock_models", [])),
                tuple(entry.get("serving", [])),
            )
            for name, entry in (data.get("families") or {}).items()
        }
        return cls(
            families, str(data.get("source", "unknown")), str(data.get("as_of", "unknown")), config
        )

    def family_of_model(self, model_id: str) -> Family | None:
        """The family a Bedrock model belongs to, or None (closed models have none)."""
        base = foundation_model_id(model_id)
        return next(
            (family for family in self.families.values() if base in family.bedrock_models), None
        )

    def options(
        self, family: Family, instances: InstancePriceCatalog, region: str
    ) -> list[ServingOption]:
        """The priced serving options of a family in a region, cheapest first."""
        options = []
        for entry in family.serving:
            instance_type = entry["instance_type"]
            price = instances.price(instance_type, region)
            if price is None:
                continue
            override = self.config.throughput_overrides.get(family.name, {}).get(instance_type)
            input_tps = Decimal(str(override.input_tps if override else entry["input_tps"]))
            output_tps = Decimal(str(override.output_tps if override else entry["output_tps"]))
            source = (
                f"config advisor.throughput_overrides.{family.name}.{instance_type}"
                if override
                else f"core/prices/hosting.yaml families.{family.name} ({self.source})"
            )
            options.append(
                ServingOption(
                    family.name,
                    instance_type,
                    input_tps,
                    output_tps,
                    price.hourly,
                    source,
                    f"{price.source}, {price.as_of}",
                )
            )
        return sorted(options, key=lambda option: (option.hourly_usd, option.instance_type))


@dataclass(frozen=True)
class ModelUsage:
    """A Bedrock model's (or profile's) observed traffic over a window."""

    model_id: str
    base_model_id: str
    team: str
    region: str
    hours: int  # hours in the observed window
    input_tokens: int
    output_tokens: int
    peak_hour_input_tokens: int
    peak_hour_output_tokens: int


@dataclass(frozen=True)
class BreakEven:
    """A Bedrock workload priced both ways, and the volume where the two cost the same."""

    model_id: str
    team: str
    region: str
    family: str | None
    tokens_per_month: Decimal
    bedrock_monthly_usd: Decimal | None
    self_hosted: ServingOption | None
    instances: int
    self_hosted_monthly_usd: Decimal | None
    breakeven_tokens_per_month: Decimal | None  # None: self-hosting never breaks even
    verdict: str
    assumptions: list[Assumption] = field(default_factory=list)


def _blended_price(
    price: TokenPrice, input_tokens: Decimal, output_tokens: Decimal
) -> Decimal | None:
    """Bedrock USD per token for this workload's input/output mix."""
    total = input_tokens + output_tokens
    if total == 0:
        return None
    return (input_tokens * price.input + output_tokens * price.output) / total / MILLION


def break_even(
    usage: ModelUsage,
    prices: PriceCatalog,
    hosting: HostingCatalog,
    instances: InstancePriceCatalog,
) -> BreakEven:
    """Price one Bedrock workload on Bedrock and on the cheapest adequate self-hosted endpoint."""
    config = hosting.config
    month = Decimal(str(config.hours_per_month))
    utilisation = Decimal(str(config.utilisation_target))
    scale = month / Decimal(max(usage.hours, 1))
    tokens_in, tokens_out = (
        Decimal(usage.input_tokens) * scale,
        Decimal(usage.output_tokens) * scale,
    )
    per_month = tokens_in + tokens_out
    price = prices.price(usage.base_model_id, usage.region)
    bedrock = (
        None
        if price is None
        else _usd((tokens_in * price.input + tokens_out * price.output) / MILLION)
    )
    common = [
        Assumption(
            "hours per month", str(config.hours_per_month), "config advisor.hours_per_month"
        ),
        Assumption("observed window", f"{usage.hours} hours", "the data shown"),
    ]
    if price is not None:
        common.append(
            Assumption(
                f"{usage.base_model_id} Bedrock price",
                f"${price.input}/${price.output} per million input/output tokens",
                f"core/prices/bedrock.yaml ({price.source}, {price.as_of})",
            )
        )
    family = hosting.family_of_model(usage.model_id) or hosting.family_of_model(usage.base_model_id)
    base = {
        "model_id": usage.model_id,
        "team": usage.team,
        "region": usage.region,
        "tokens_per_month": per_month.quantize(Decimal(1)),
        "bedrock_monthly_usd": bedrock,
    }
    if family is None:
        return BreakEven(
            **base,
            family=None,
            self_hosted=None,
            instances=0,
            self_hosted_monthly_usd=None,
            breakeven_tokens_per_month=None,
            verdict="no self-hosted equivalent in the catalog (closed or unknown model)",
            assumptions=common,
        )
    options = hosting.options(family, instances, usage.region)
    if not options or price is None:
        return BreakEven(
            **base,
            family=family.name,
            self_hosted=None,
            instances=0,
            self_hosted_monthly_usd=None,
            breakeven_tokens_per_month=None,
            verdict="not comparable: an instance or token price is missing",
            assumptions=common,
        )
    peak_in, peak_out = (
        Decimal(usage.peak_hour_input_tokens),
        Decimal(usage.peak_hour_output_tokens),
    )

    def monthly(option: ServingOption) -> tuple[int, Decimal]:
        needed = option.seconds_for(peak_in, peak_out) / (SECONDS_PER_HOUR * utilisation)
        count = max(1, math.ceil(needed))
        return count, _usd(option.hourly_usd * count * month)

    option = min(options, key=lambda o: (monthly(o)[1], o.instance_type))
    count, hosted = monthly(option)
    assumptions = [
        *common,
        Assumption(
            "peak utilisation target", f"{utilisation:.0%}", "config advisor.utilisation_target"
        ),
        *option.assumptions(usage.region),
    ]
    blended = _blended_price(price, tokens_in, tokens_out) or _blended_price(
        price, Decimal(1), Decimal(0)
    )
    assert blended is not None
    # self-hosted USD per token when one instance runs at the target utilisation
    share_in = tokens_in / per_month if per_month else Decimal(1)
    seconds_per_token = option.seconds_for(share_in, 1 - share_in)
    hosted_per_token = option.hourly_usd * seconds_per_token / (SECONDS_PER_HOUR * utilisation)
    threshold = (
        None
        if hosted_per_token >= blended
        else (option.hourly_usd * month / blended).quantize(Decimal(1))
    )
    if threshold is None:
        verdict = f"Bedrock is cheaper at any volume: {option.instance_type} costs more per token even when busy"
    elif bedrock is not None and hosted < bedrock:
        verdict = f"self-hosting on {count} x {option.instance_type} would save ${_usd(bedrock - hosted):,}/month"
    elif per_month >= threshold:
        verdict = (
            f"Bedrock stays cheaper: the volume is past the {threshold:,} tokens/month break-even, "
            f"but the peak hour needs {count} x {option.instance_type} (${hosted:,}/month)"
        )
    else:
        verdict = f"Bedrock is cheaper below {threshold:,} tokens/month; this workload uses {per_month.quantize(Decimal(1)):,}"
    return BreakEven(
        **base,
        family=family.name,
        self_hosted=option,
        instances=count,
        self_hosted_monthly_usd=hosted,
        breakeven_tokens_per_month=threshold,
        verdict=verdict,
        assumptions=assumptions,
    )


@dataclass(frozen=True)
class EndpointUsage:
    """A SageMaker endpoint's observed traffic and cost over a window."""

    endpoint_name: str
    account_id: str
    region: str
    team: str
    endpoint_type: str
    instance_type: str | None
    instance_count: int
    hours_in_service: Decimal
    invocations: int
    peak_hour_invocations: int
    hours_without_calls: Decimal
    cost_usd: Decimal | None


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


def endpoint_hints(
    endpoint: EndpointUsage,
    prices: PriceCatalog,
    hosting: HostingCatalog,
    instances: InstancePriceCatalog,
) -> list[Hint]:
    """Cheaper ways to serve an endpoint's observed traffic, each with its saving and assumptions."""
    config = hosting.config
    month = Decimal(str(config.hours_per_month))
    utilisation = Decimal(str(config.utilisation_target))
    if endpoint.hours_in_service <= 0 or endpoint.cost_usd is None:
        return []
    monthly_cost = endpoint.cost_usd * month / endpoint.hours_in_service
    tokens_in = Decimal(config.tokens_per_invocation.get("input", 0))
    tokens_out = Decimal(config.tokens_per_invocation.get("output", 0))
    base = [
        Assumption(
            "hours per month", str(config.hours_per_month), "config advisor.hours_per_month"
        ),
        Assumption(
            f"{endpoint.endpoint_name} cost",
            f"${_usd(endpoint.cost_usd)} over {endpoint.hours_in_service.normalize():f} hours in service",
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
    hints: list[Hint] = []
    model = comparable_model(endpoint.endpoint_name, config)
    price = prices.price(model, endpoint.region) if model else None
    if model and price is not None:
        calls_per_month = Decimal(endpoint.invocations) * month / endpoint.hours_in_service
        bedrock = _usd(
            calls_per_month * (tokens_in * price.input + tokens_out * price.output) / MILLION
        )
        if bedrock < monthly_cost:
            hints.append(
                Hint(
                    endpoint.endpoint_name,
                    endpoint.team,
                    "bedrock",
                    f"serve this traffic with Bedrock {model}: ${bedrock:,}/month instead of ${_usd(monthly_cost):,}",
                    _usd(monthly_cost - bedrock),
                    [
                        *base,
                        *per_call,
                        Assumption(
                            "comparable Bedrock model", model, "config advisor.endpoint_models"
                        ),
                        Assumption(
                            f"{model} Bedrock price",
                            f"${price.input}/${price.output} per million tokens",
                            f"core/prices/bedrock.yaml ({price.source})",
                        ),
                    ],
                )
            )
    if (
        endpoint.endpoint_type == "real-time"
        and endpoint.hours_without_calls / endpoint.hours_in_service >= SCALE_TO_ZERO_SHARE
    ):
        share = endpoint.hours_without_calls / endpoint.hours_in_service
        hints.append(
            Hint(
                endpoint.endpoint_name,
                endpoint.team,
                "scale_to_zero",
                f"no calls in {share:.0%} of its hours: an asynchronous endpoint scaling to zero, or serverless, would stop paying for them",
                _usd(monthly_cost * share),
                [
                    *base,
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
        )
    family = hosting.family_of_model(model) if model else None
    current = instances.price(endpoint.instance_type or "", endpoint.region)
    if family is None or current is None or endpoint.instance_count <= 0:
        return hints
    options = {
        option.instance_type: option
        for option in hosting.options(family, instances, endpoint.region)
    }
    serving = options.get(endpoint.instance_type or "")
    if serving is None:
        return hints

    def capacity(option: ServingOption) -> Decimal:
        """Invocations per hour one instance serves at the target utilisation."""
        return SECONDS_PER_HOUR * utilisation / option.seconds_for(tokens_in, tokens_out)

    peak = Decimal(endpoint.peak_hour_invocations)
    needed = max(1, math.ceil(peak / capacity(serving)))
    sizing = [
        *base,
        *per_call,
        Assumption(
            "peak hour",
            f"{endpoint.peak_hour_invocations} invocations",
            "endpoint_hourly (collected)",
        ),
        Assumption(
            "peak utilisation target", f"{utilisation:.0%}", "config advisor.utilisation_target"
        ),
    ]
    if needed < endpoint.instance_count:
        saving = _usd(current.hourly * (endpoint.instance_count - needed) * month)
        hints.append(
            Hint(
                endpoint.endpoint_name,
                endpoint.team,
                "fewer_instances",
                f"{needed} x {endpoint.instance_type} would carry the peak hour instead of {endpoint.instance_count}",
                saving,
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
        saving = _usd((current.hourly - best.hourly_usd) * count * month)
        hints.append(
            Hint(
                endpoint.endpoint_name,
                endpoint.team,
                "smaller_instance",
                f"{count} x {best.instance_type} would carry the peak hour at ${best.hourly_usd}/hour instead of ${current.hourly}",
                saving,
                [*sizing, *best.assumptions(endpoint.region)],
            )
        )
    return hints
