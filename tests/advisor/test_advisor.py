"""The hosting advisor's maths on crafted usage, with hand-computed answers."""

from decimal import Decimal

import pytest

from advisor import HostingCatalog, break_even, endpoint_hints
from core.pricing import InstancePriceCatalog, PriceCatalog
from core.settings import AdvisorConfig, ServingThroughput
from core.usage import EndpointUsage, ModelUsage

PRICES = PriceCatalog.from_data(
    {
        "source": "https://example.test/bedrock",
        "as_of": "2026-01-01",
        "models": {
            "x.llama-v1": {"default": {"input": 1.00, "output": 2.00}},
            "x.cheap-v1": {"default": {"input": 0.01, "output": 0.01}},
            "anthropic.claude-3-haiku-20240307-v1:0": {"default": {"input": 0.25, "output": 1.25}},
        },
    }
)
INSTANCES = InstancePriceCatalog.from_data(
    {
        "source": "https://example.test/sagemaker",
        "as_of": "2026-01-01",
        "instances": {"ml.a": 1.00, "ml.big": 4.00},
    }
)
HOSTING_DATA = {
    "source": "test estimate",
    "as_of": "2026-01-01",
    "families": {
        "fam": {
            "bedrock_models": ["x.llama-v1", "x.cheap-v1"],
            "serving": [
                {"instance_type": "ml.a", "input_tps": 5000, "output_tps": 500},
                {"instance_type": "ml.big", "input_tps": 10000, "output_tps": 1000},
                {"instance_type": "ml.unpriced", "input_tps": 99999, "output_tps": 99999},
            ],
        }
    },
}
CONFIG = AdvisorConfig(
    utilisation_target=0.5,
    hours_per_month=730,
    tokens_per_invocation={"input": 1000, "output": 100},
    endpoint_models={"llama-*": "x.llama-v1"},
)
HOSTING = HostingCatalog.from_data(HOSTING_DATA, CONFIG)


def usage(tokens_in, tokens_out, peak_in, peak_out, model="x.llama-v1", hours=730):
    return ModelUsage(
        model, model, "search", "us-east-1", hours, tokens_in, tokens_out, peak_in, peak_out
    )


def test_steady_heavy_traffic_is_cheaper_self_hosted():
    # Bedrock: 3650 M input x $1 + 365 M output x $2 = $4,380 a month.
    # Peak hour: on ml.a 10M/5000 + 1M/500 = 4000 s, at 50% of 3600 s -> 3 instances = $2,190;
    # on ml.big 1000 + 1000 = 2000 s -> 2 instances x $4 = $5,840. ml.a wins.
    result = break_even(
        usage(3_650_000_000, 365_000_000, 10_000_000, 1_000_000), PRICES, HOSTING, INSTANCES
    )
    assert result.bedrock_monthly_usd == Decimal("4380.00")
    assert (result.self_hosted.instance_type, result.instances, result.self_hosted_monthly_usd) == (
        "ml.a",
        3,
        Decimal("2190.00"),
    )
    # blended $4,380 / 4,015 M tokens; one ml.a a month ($730) buys 730 / (4380 / 4.015e9) tokens
    assert result.breakeven_tokens_per_month == Decimal("669166667")
    assert result.verdict == "self-hosting on 3 x ml.a would save $2,190.00/month"
    names = {a.name for a in result.assumptions}
    assert {
        "ml.a input throughput",
        "ml.a price in us-east-1",
        "peak utilisation target",
        "x.llama-v1 Bedrock price",
    } <= names
    assert any(a.source.startswith("advisor/hosting.yaml families.fam") for a in result.assumptions)


def test_light_traffic_stays_on_bedrock_and_names_the_break_even():
    result = break_even(usage(36_500_000, 3_650_000, 100_000, 10_000), PRICES, HOSTING, INSTANCES)
    assert result.bedrock_monthly_usd == Decimal("43.80")
    assert result.self_hosted_monthly_usd == Decimal("730.00")
    assert (
        result.verdict
        == "Bedrock is cheaper below 669,166,667 tokens/month; this workload uses 40,150,000"
    )


def test_bursty_traffic_past_break_even_still_favours_bedrock():
    # the whole month's 1.1 B tokens in one hour: 1e9/5000 + 1e8/500 = 400,000 s -> 223 x ml.a
    result = break_even(
        usage(1_000_000_000, 100_000_000, 1_000_000_000, 100_000_000), PRICES, HOSTING, INSTANCES
    )
    assert result.instances == 223 and result.self_hosted_monthly_usd == Decimal("162790.00")
    assert result.verdict.startswith(
        "Bedrock stays cheaper: the volume is past the 669,166,667 tokens/month break-even"
    )


def test_no_traffic():
    result = break_even(usage(0, 0, 0, 0), PRICES, HOSTING, INSTANCES)
    assert result.bedrock_monthly_usd == Decimal("0.00") and result.instances == 1
    assert result.breakeven_tokens_per_month == Decimal(
        "730000000"
    )  # $730 / $1 per million input tokens


def test_never_breaks_even_when_bedrock_is_cheaper_per_token_than_a_busy_instance():
    result = break_even(
        usage(3_650_000_000, 365_000_000, 10_000_000, 1_000_000, model="x.cheap-v1"),
        PRICES,
        HOSTING,
        INSTANCES,
    )
    assert result.breakeven_tokens_per_month is None
    assert (
        result.verdict
        == "Bedrock is cheaper at any volume: ml.a costs more per token even when busy"
    )


def test_closed_model_has_no_self_hosted_equivalent():
    result = break_even(
        usage(1000, 100, 10, 1, model="us.anthropic.claude-3-haiku-20240307-v1:0"),
        PRICES,
        HOSTING,
        INSTANCES,
    )
    assert (
        result.family is None
        and result.verdict == "no self-hosted equivalent in the catalog (closed or unknown model)"
    )
    assert result.bedrock_monthly_usd is not None


def test_measured_throughput_in_the_config_replaces_the_estimate():
    config = CONFIG.model_copy(
        update={
            "throughput_overrides": {
                "fam": {"ml.a": ServingThroughput(input_tps=50000, output_tps=5000)}
            }
        }
    )
    result = break_even(
        usage(3_650_000_000, 365_000_000, 10_000_000, 1_000_000),
        PRICES,
        HostingCatalog.from_data(HOSTING_DATA, config),
        INSTANCES,
    )
    assert result.instances == 1  # 200 + 200 s of a 1800 s budget
    assert any(
        a.source == "config advisor.throughput_overrides.fam.ml.a" for a in result.assumptions
    )


def endpoint(
    name="llama-prod",
    instance_type="ml.big",
    count=3,
    peak=8000,
    quiet="10",
    endpoint_type="real-time",
):
    # 100 hours in service at 3 x $4 = $1,200, i.e. $8,760 a month
    return EndpointUsage(
        name,
        "111111111111",
        "us-east-1",
        "search",
        endpoint_type,
        instance_type,
        count,
        Decimal(100),
        100_000,
        peak,
        Decimal(quiet),
        Decimal(1200),
    )


def hints_by_kind(item):
    return {hint.kind: hint for hint in endpoint_hints(item, PRICES, HOSTING, INSTANCES)}


def test_endpoint_hints_bedrock_and_fewer_instances():
    hints = hints_by_kind(endpoint())
    # 730,000 calls a month x (1000 x $1 + 100 x $2) / 1M = $876
    assert hints["bedrock"].monthly_saving_usd == Decimal("7884.00")
    # ml.big: 0.1 + 0.1 s a call -> 9,000 calls/hour at 50%; the 8,000 peak needs 1 of 3
    assert hints["fewer_instances"].monthly_saving_usd == Decimal("5840.00")
    assert (
        hints["fewer_instances"].suggestion == "1 x ml.big would carry the peak hour instead of 3"
    )
    # ml.a: 0.2 + 0.2 s -> 4,500 calls/hour: 2 needed, so no single smaller instance
    assert "smaller_instance" not in hints and "scale_to_zero" not in hints


def test_endpoint_hints_smaller_instance_and_scale_to_zero():
    hints = hints_by_kind(endpoint(peak=4000, quiet="80"))
    assert hints["smaller_instance"].monthly_saving_usd == Decimal("2190.00")  # ($4 - $1) x 1 x 730
    assert hints["scale_to_zero"].monthly_saving_usd == Decimal("7008.00")  # 80% of $8,760
    for hint in hints.values():
        assert any(
            a.source.startswith("config advisor.") or a.source.startswith("endpoint_hourly")
            for a in hint.assumptions
        )


@pytest.mark.parametrize(
    "item",
    [endpoint(name="unmapped"), endpoint(endpoint_type="serverless", quiet="90", name="other")],
)
def test_endpoint_without_comparable_model_gets_only_what_can_be_shown(item):
    hints = hints_by_kind(item)
    assert "bedrock" not in hints and "fewer_instances" not in hints
    assert ("scale_to_zero" in hints) == (
        item.endpoint_type == "real-time" and item.hours_without_calls >= 50
    )


def test_the_shipped_hosting_catalog_loads_and_prices_its_instances():
    hosting = HostingCatalog.load(AdvisorConfig())
    family = hosting.family_of_model("us.meta.llama3-1-8b-instruct-v1:0")
    assert family is not None and family.name == "llama-8b"
    options = hosting.options(family, InstancePriceCatalog.load(), "us-east-1")
    assert [o.instance_type for o in options][:2] == [
        "ml.inf2.xlarge",
        "ml.g6.xlarge",
    ]  # cheapest first
    for name in hosting.families:
        assert hosting.options(hosting.families[name], InstancePriceCatalog.load(), "us-east-1"), (
            name
        )
