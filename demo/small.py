"""A small organisation written straight into the tables: what the dashboard tests look at.

Forty days up to a Wednesday (the current week has Monday, Tuesday and today): three teams'
Bedrock usage in two accounts and regions, their bills, three endpoints (one idle for 60 hours,
one serverless), budgets and an alert in every state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.alert_state import AlertState
from core.db import upsert
from core.models import BedrockUsageHourly, Budget, CostDaily, EndpointHourly
from core.rollups import rebuild_rollups
from core.services import BEDROCK_SERVICE, SAGEMAKER_SERVICE
from core.settings import MonitorConfig, parse_config
from demo.rows import (
    alert,
    bedrock_row,
    budget_row,
    cost_row,
    endpoint_hour_row,
    endpoint_row,
    put_endpoints,
)

# A Wednesday: the current week has Monday, Tuesday and today.
NOW = datetime(2026, 3, 18, 12, 30, tzinfo=UTC)
TODAY = NOW.date()
ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "us-west-2")
MODELS = {
    "anthropic.claude-3-5-sonnet-20240620-v1:0": Decimal("0.40"),
    "amazon.titan-text-express-v1": Decimal("0.05"),
}
# team -> (account, daily Bedrock bill)
TEAMS = {
    "search": (ACCOUNTS[0], Decimal("120.50")),
    "support": (ACCOUNTS[1], Decimal("80.25")),
    "unattributed": (ACCOUNTS[1], Decimal("10.00")),
}
DAYS = 40

CONFIG_YAML = """
regions: [us-east-1, us-west-2]
teams:
  - {name: search, monthly_budget_usd: 5000}
  - {name: support, monthly_budget_usd: 1500}
alerts:
  rules:
    - {kind: idle_endpoint, for: 24h}
advisor:
  endpoint_models: {"support-*": meta.llama3-1-8b-instruct-v1:0}
"""


def config() -> MonitorConfig:
    """The config the seeded world goes with."""
    return parse_config(CONFIG_YAML)


# name, account, region, team, type, instance type, count, hourly price
ENDPOINTS = (
    ("search-ranker", ACCOUNTS[0], REGIONS[0], "search", "real-time", "ml.g5.xlarge", 1, "1.4080"),
    (
        "support-idle-llm",
        ACCOUNTS[1],
        REGIONS[1],
        "support",
        "real-time",
        "ml.g5.2xlarge",
        2,
        "1.5150",
    ),
    ("search-serverless", ACCOUNTS[0], REGIONS[0], "search", "serverless", None, 0, "0"),
)
ENDPOINTS_CREATED = datetime(2026, 2, 1, tzinfo=UTC)


def history_start() -> datetime:
    """Midnight of the first of the DAYS days."""
    return datetime.combine(TODAY - timedelta(days=DAYS - 1), datetime.min.time(), tzinfo=UTC)


def history_hours() -> list[datetime]:
    """Every whole hour from the history's start to NOW."""
    start = history_start()
    hours = int((NOW.replace(minute=0) - start).total_seconds() // 3600)
    return [start + timedelta(hours=index) for index in range(hours)]


# the first region is priced from a stored Price List point, the second from genai-prices:
# (price_source, price_as_of)
PRICE_SOURCES = (
    ("aws-price-list AmazonBedrock sku DEMO", "2026-01-01"),
    ("genai-prices 0.2.3", "2026-01-15"),
)


def bedrock_rows() -> list[dict[str, Any]]:
    """Every team's models in both regions, every hour, busier on some days than others."""
    rows = []
    for hour in history_hours():
        for team_index, (team, (account, _bill)) in enumerate(TEAMS.items()):
            for region_index, region in enumerate(REGIONS):
                for model_index, (model, price) in enumerate(MODELS.items()):
                    calls = 10 + team_index * 5 + region_index * 3 + model_index + (hour.day % 3)
                    rows.append(
                        bedrock_row(
                            account_id=account,
                            region=region,
                            model_id=f"{model}#{team}",
                            base_model_id=model,
                            hour=hour,
                            team=team,
                            invocations=calls,
                            input_tokens=calls * 1000,
                            output_tokens=calls * 200,
                            cache_read_tokens=calls * 10,
                            cache_write_tokens=calls,
                            client_errors=int(hour.hour % 5 == 0),
                            throttles=int(hour.hour == 12),
                            estimated_cost_usd=(price * calls / 10).quantize(Decimal("0.000001")),
                            collected_at=NOW,
                            price_source=PRICE_SOURCES[region_index][0],
                            price_as_of=PRICE_SOURCES[region_index][1],
                        )
                    )
    return rows


def cost_rows() -> list[dict[str, Any]]:
    """Daily bills: weekdays cost more than weekends, and each week a little more than the last."""
    first_day = history_start().date()
    rows = []
    for offset in range(DAYS):
        day = first_day + timedelta(days=offset)
        weekday = Decimal("1.2") if day.weekday() < 5 else Decimal("0.5")
        for team, (account, bill) in TEAMS.items():
            amount = bill * weekday + Decimal(offset) / 4
            rows.append(cost_row(day, account, BEDROCK_SERVICE, team, amount, NOW))
            if team == "search":
                rows.append(cost_row(day, account, SAGEMAKER_SERVICE, team, Decimal(30), NOW))
    return rows


def endpoint_calls(name: str, kind: str, hour: datetime) -> int:
    """Serverless every sixth hour, the idle one silent for its last 60 hours, the rest busy."""
    if kind == "serverless":
        return 5 if hour.hour % 6 == 0 else 0
    if name == "support-idle-llm":
        return 3 if hour <= NOW.replace(minute=0) - timedelta(hours=60) else 0
    return 20


def seed_endpoints(session: Session) -> None:
    """The three endpoints and their hours."""
    ids = put_endpoints(
        session,
        (
            endpoint_row(
                account_id=account,
                region=region,
                name=name,
                team=team,
                endpoint_type=kind,
                instance_type=instance,
                instance_count=count,
                created_at=ENDPOINTS_CREATED,
                seen_at=NOW,
                tags={"team": team},
            )
            for name, account, region, team, kind, instance, count, _price in ENDPOINTS
        ),
    )
    hourly = [
        endpoint_hour_row(
            endpoint_id=ids[name],
            hour=hour,
            instance_type=instance,
            instance_count=count,
            invocations=endpoint_calls(name, kind, hour),
            estimated_cost_usd=Decimal(price) * count,
            collected_at=NOW,
        )
        for hour in history_hours()
        for name, _account, _region, _team, kind, instance, count, price in ENDPOINTS
    ]
    upsert(session, EndpointHourly, hourly)


def seed_alerts(session: Session) -> None:
    """An alert in every state: firing, pending, silenced and two resolved."""
    period = f"{TODAY:%Y-%m}"
    episodes = [
        ("idle_endpoint", f"{ACCOUNTS[1]}/us-west-2/support-idle-llm", "support",
         AlertState.FIRING, timedelta(hours=30), None),
        ("budget_forecast", f"search/all/{period}", "search", AlertState.PENDING,
         timedelta(hours=2), None),
        ("spend_spike", "support/Amazon Bedrock", "support", AlertState.SILENCED,
         timedelta(days=1), None),
        ("budget_threshold", f"search/all/{period}/0.5", "search", AlertState.RESOLVED,
         timedelta(days=9), timedelta(days=4)),
        ("idle_endpoint", f"{ACCOUNTS[0]}/us-east-1/old-endpoint", "search",
         AlertState.RESOLVED, timedelta(days=20), timedelta(days=12)),
    ]  # fmt: skip
    for rule, subject, team, state, opened_ago, resolved_ago in episodes:
        session.add(
            alert(
                rule=rule,
                subject=subject,
                team=team,
                state=state,
                opened=NOW - opened_ago,
                seen=NOW,
                resolved=None if resolved_ago is None else NOW - resolved_ago,
                silenced_until=NOW + timedelta(days=1) if state == AlertState.SILENCED else None,
            )
        )


def seed(session: Session) -> None:
    """Forty days of Bedrock usage, bills, three endpoints, budgets and alerts of every state."""
    upsert(session, BedrockUsageHourly, bedrock_rows())
    upsert(session, CostDaily, cost_rows())
    seed_endpoints(session)
    upsert(
        session,
        Budget,
        [
            budget_row("search", f"{TODAY:%Y-%m}", Decimal(5000), NOW),
            budget_row("support", f"{TODAY:%Y-%m}", Decimal(1500), NOW),
        ],
    )
    seed_alerts(session)
    rebuild_rollups(session)  # the hourly rows went in without the collector's refresh
