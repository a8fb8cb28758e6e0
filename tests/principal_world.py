"""A small per-principal world (#14) the query, export and dashboard tests share: invocation-log
rows of two teams and an unmapped principal, the Bedrock metrics of the same hours, the bill."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from core.db import upsert
from core.models import BedrockUsageHourly, CostDaily, CostLine
from core.models_principals import NO_METADATA, PrincipalUsageHourly

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
ACCOUNT = "123456789012"
REGION = "us-east-1"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SEARCH_API = "arn:aws:iam::123456789012:role/search-api"
SEARCH_BATCH = "arn:aws:iam::123456789012:role/search-batch"
SUPPORT_BOT = "arn:aws:sts::123456789012:assumed-role/support-bot/session-1"
STRANGER = "arn:aws:iam::123456789012:user/stranger"
H10 = datetime(2026, 11, 3, 10, tzinfo=UTC)
H11 = datetime(2026, 11, 3, 11, tzinfo=UTC)
DAY = date(2026, 11, 3)


def principal_row(
    hour: datetime,
    principal: str,
    model: str,
    team: str,
    tokens: tuple[int, int, int, int, int],
    cost: str | None,
    metadata: str = NO_METADATA,
    rule: str | None = None,
    source: str = "s3",
    account: str = ACCOUNT,
) -> dict:
    """One principal_usage_hourly row: tokens are (calls, input, output, cache read, cache write)."""
    calls, tokens_in, tokens_out, read, write = tokens
    return {
        "hour": hour,
        "account_id": account,
        "region": REGION,
        "principal": principal,
        "model_id": model,
        "request_metadata": metadata,
        "base_model_id": model,
        "team": team,
        "team_rule": rule
        or ("no principal mapping" if team == "unattributed" else f"principals[{team}]"),
        "invocations": calls,
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "estimated_cost_usd": None if cost is None else Decimal(cost),
        "priced": cost is not None,
        "price_source": None if cost is None else "shipped",
        "source": source,
        "collected_at": NOW,
    }


def bedrock_row(hour: datetime, model: str, team: str, cost: str, account: str = ACCOUNT) -> dict:
    """One bedrock_usage_hourly row (token metrics) with only what the share reads."""
    return {
        "account_id": account,
        "region": REGION,
        "model_id": model,
        "hour": hour,
        "base_model_id": model,
        "team": team,
        "invocations": 1,
        "input_tokens": 1,
        "output_tokens": 1,
        "estimated_cost_usd": Decimal(cost),
        "priced": True,
        "collected_at": NOW,
    }


def cost_row(day: date, service: str, team: str, amount: str, account: str = ACCOUNT) -> dict:
    """One cost_daily (Cost Explorer) line."""
    return {
        "day": day,
        "account_id": account,
        "service": service,
        "usage_group": "input_tokens",
        "team": team,
        "amount_usd": Decimal(amount),
        "amortized_usd": None,
        "estimated": False,
        "collected_at": NOW,
    }


def cur_row(day: date, principal: str, amount: str, service: str = "Amazon Bedrock") -> dict:
    """One CUR 2.0 cost line naming the calling principal."""
    return {
        "day": day,
        "source": "cur",
        "account_id": ACCOUNT,
        "region": REGION,
        "service": service,
        "usage_type": "USE1-Claude35Sonnet-input-tokens",
        "resource_id": "",
        "principal": principal,
        "team": "unattributed",
        "line_type": "Usage",
        "billing_period": f"{day:%Y-%m}",
        "unblended_usd": Decimal(amount),
        "collected_at": NOW,
    }


CHECKOUT = '{"project":"checkout","user":"ana"}'
CATALOG = '{"project":"catalog"}'
ONLY_USER = '{"user":"bo"}'

PRINCIPAL_ROWS = [
    # search: project checkout through search-api (two hours, two models), catalog, and no metadata
    principal_row(H10, SEARCH_API, SONNET, "search", (10, 1000, 200, 50, 5), "1.500000", CHECKOUT),
    principal_row(H11, SEARCH_API, SONNET, "search", (4, 400, 100, 0, 0), "0.700000", CHECKOUT),
    principal_row(H10, SEARCH_API, HAIKU, "search", (3, 300, 30, 0, 0), "0.100000", CHECKOUT),
    principal_row(H10, SEARCH_BATCH, SONNET, "search", (2, 200, 20, 0, 0), "0.300000", CATALOG),
    principal_row(H11, SEARCH_BATCH, HAIKU, "search", (1, 100, 10, 0, 0), None, ONLY_USER),
    # support: the bot, no metadata, read from CloudWatch Logs
    principal_row(
        H10,
        SUPPORT_BOT,
        SONNET,
        "support",
        (7, 700, 70, 0, 0),
        "2.000000",
        source="cloudwatch_logs",
    ),
    # nobody maps the stranger
    principal_row(H10, STRANGER, SONNET, "unattributed", (5, 500, 50, 0, 0), "1.000000"),
]


def seed_principals(session: Session, rows: list[dict] | None = None) -> None:
    """Insert the world's principal rows (or ``rows``)."""
    upsert(session, PrincipalUsageHourly, PRINCIPAL_ROWS if rows is None else rows)


def seed_bill(session: Session, cost: list[dict], bedrock: list[dict], cur: list[dict]) -> None:
    """Insert cost_daily lines, bedrock_usage_hourly rows and CUR lines."""
    for model, rows in ((CostDaily, cost), (BedrockUsageHourly, bedrock), (CostLine, cur)):
        if rows:
            upsert(session, model, rows)


# the bill and the token-metric estimates of the share-of-spend figures (see test_attributed_share)
BEDROCK, SAGEMAKER = "Amazon Bedrock", "Amazon SageMaker"
MARKETPLACE = "Claude 3.5 Sonnet (Amazon Bedrock Edition)"
OTHER = "999999999999"
DAY2 = DAY + timedelta(days=1)
FIRST, AFTER = date(2026, 11, 1), date(2026, 11, 21)

COST = [
    cost_row(date(2026, 10, 31), BEDROCK, "search", "100"),  # last month: outside
    cost_row(DAY, BEDROCK, "search", "10"),
    cost_row(DAY, SAGEMAKER, "support", "5"),
    cost_row(DAY, SAGEMAKER, "unattributed", "3"),
    cost_row(DAY, SAGEMAKER, "unattributed", "7", account=OTHER),
    cost_row(DAY, BEDROCK, "unattributed", "4"),
    cost_row(DAY2, MARKETPLACE, "unattributed", "2"),  # no estimate that day
]
ESTIMATES = [
    # unattributed in the metrics: the principal rows of H10/Sonnet cost 1.8 (search) + 2.0
    # (support) + 1.0 (stranger, no mapping) = 4.8 of its 6.0
    bedrock_row(H10, SONNET, "unattributed", "6"),
    # the only principal row of H11/Haiku is unpriced: no profile
    bedrock_row(H11, HAIKU, "unattributed", "2"),
    # attributed in the metrics already: the principals of this key change nothing
    bedrock_row(H11, SONNET, "search", "5"),
]
