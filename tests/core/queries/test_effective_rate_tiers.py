"""Service tiers and routing scopes in the bill's usage types keep rates of their own (pure)."""

from datetime import date
from decimal import Decimal

import pytest

from core.queries.effective_rates import EffectiveRate, TokenRates, usage_model_key

SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
DAY = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("service", "usage_type", "expected"),
    [
        ("Amazon Bedrock", "USE1-ClaudeSonnet4.5-input-tokens", ("claudesonnet45", "input")),
        (
            "Amazon Bedrock",
            "USE1-ClaudeSonnet4.5-input-tokens-flex",
            ("claudesonnet45", "flex_input"),
        ),
        (
            "Amazon Bedrock",
            "USE1-ClaudeSonnet4.5-output-tokens-priority",
            ("claudesonnet45", "priority_output"),
        ),
        ("Amazon Bedrock", "USE1-NovaPro-input-tokens-batch", ("novapro", "batch_input")),
        (
            "Amazon Bedrock",
            "USE1-ClaudeSonnet4.5-output-tokens-cross-region-global",
            ("claudesonnet45", "global_output"),
        ),
        # a geographic profile bills at the in-region rate
        (
            "Amazon Bedrock",
            "USE1-ClaudeSonnet4.5-cache-read-input-tokens-cross-region-geo",
            ("claudesonnet45", "cache_read"),
        ),
        (
            "Claude Haiku 4.5 (Amazon Bedrock Edition)",
            "USE1-MP:USE1_InputTokenCount_Global-Units",
            ("claudehaiku45", "global_input"),
        ),
        (
            "Claude Haiku 4.5 (Amazon Bedrock Edition)",
            "USE1-MP:USE1_InputTokenCount-Units",
            ("claudehaiku45", "input"),
        ),
    ],
)
def test_a_usage_type_keeps_its_tier_in_its_kind(service, usage_type, expected):
    assert usage_model_key(service, usage_type) == expected


def line(usage_type: str, cost: str, quantity: str) -> EffectiveRate:
    amount, used = Decimal(cost), Decimal(quantity)
    return EffectiveRate(
        DAY, "Amazon Bedrock", usage_type, "us-east-1", amount, used, "tokens", amount / used
    )


def test_the_standard_rate_is_not_mixed_with_the_flex_and_priority_rates():
    rates = TokenRates(
        [
            line("USE1-ClaudeSonnet4.5-input-tokens", "3.30", "1000000"),
            line("USE1-ClaudeSonnet4.5-input-tokens-flex", "1.65", "1000000"),
            line("USE1-ClaudeSonnet4.5-input-tokens-priority", "11.56", "2000000"),
        ]
    )
    per_million = {
        kind: rates.per_token(SONNET, "us-east-1", kind, DAY) * 1_000_000
        for kind in ("input", "flex_input", "priority_input")
    }
    assert per_million == {
        "input": Decimal("3.30"),
        "flex_input": Decimal("1.65"),
        "priority_input": Decimal("5.78"),
    }
