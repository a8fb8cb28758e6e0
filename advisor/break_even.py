"""Token-priced or self-hosted? One Bedrock workload priced both ways, and its break-even volume."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from advisor.catalog import (
    MILLION,
    SECONDS_PER_HOUR,
    Assumption,
    HostingCatalog,
    ServingOption,
    usd,
)
from core.pricing import InstancePriceCatalog, PriceCatalog, TokenPrice
from core.usage import ModelUsage


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


def _bedrock_only(
    base: dict[str, Any], family: str | None, verdict: str, assumptions: list[Assumption]
) -> BreakEven:
    """A workload priced on Bedrock alone: no self-hosted figure to compare."""
    return BreakEven(
        **base,
        family=family,
        self_hosted=None,
        instances=0,
        self_hosted_monthly_usd=None,
        breakeven_tokens_per_month=None,
        verdict=verdict,
        assumptions=assumptions,
    )


def _verdict(
    option: ServingOption,
    count: int,
    hosted: Decimal,
    bedrock: Decimal | None,
    per_month: Decimal,
    threshold: Decimal | None,
) -> str:
    """Which way is cheaper for this workload, in words."""
    if threshold is None:
        return f"Bedrock is cheaper at any volume: {option.instance_type} costs more per token even when busy"
    if bedrock is not None and hosted < bedrock:
        return f"self-hosting on {count} x {option.instance_type} would save ${usd(bedrock - hosted):,}/month"
    if per_month >= threshold:
        return (
            f"Bedrock stays cheaper: the volume is past the {threshold:,} tokens/month break-even, "
            f"but the peak hour needs {count} x {option.instance_type} (${hosted:,}/month)"
        )
    return f"Bedrock is cheaper below {threshold:,} tokens/month; this workload uses {per_month.quantize(Decimal(1)):,}"


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
        else usd((tokens_in * price.input + tokens_out * price.output) / MILLION)
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
    base: dict[str, Any] = {
        "model_id": usage.model_id,
        "team": usage.team,
        "region": usage.region,
        "tokens_per_month": per_month.quantize(Decimal(1)),
        "bedrock_monthly_usd": bedrock,
    }
    if family is None:
        return _bedrock_only(
            base, None, "no self-hosted equivalent in the catalog (closed or unknown model)", common
        )
    options = hosting.options(family, instances, usage.region)
    if not options or price is None:
        return _bedrock_only(
            base, family.name, "not comparable: an instance or token price is missing", common
        )
    peak_in, peak_out = (
        Decimal(usage.peak_hour_input_tokens),
        Decimal(usage.peak_hour_output_tokens),
    )

    def monthly(option: ServingOption) -> tuple[int, Decimal]:
        needed = option.seconds_for(peak_in, peak_out) / (SECONDS_PER_HOUR * utilisation)
        count = max(1, math.ceil(needed))
        return count, usd(option.hourly_usd * count * month)

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
    verdict = _verdict(option, count, hosted, bedrock, per_month, threshold)
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
