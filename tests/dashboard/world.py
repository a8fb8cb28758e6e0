"""A small seeded organisation for the dashboard tests, written straight into the real tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import upsert
from core.models import Alert, BedrockUsageHourly, Budget, CostDaily, Endpoint, EndpointHourly
from core.settings import MonitorConfig, parse_config

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


def _hourly_rows(start: datetime, hours: int) -> list[dict[str, Any]]:
    rows = []
    for index in range(hours):
        hour = start + timedelta(hours=index)
        for team_index, (team, (account, _bill)) in enumerate(TEAMS.items()):
            for region_index, region in enumerate(REGIONS):
                for model_index, (model, price) in enumerate(MODELS.items()):
                    calls = 10 + team_index * 5 + region_index * 3 + model_index + (hour.day % 3)
                    tokens_in, tokens_out = calls * 1000, calls * 200
                    rows.append(
                        {
                            "account_id": account,
                            "region": region,
                            "model_id": f"{model}#{team}",
                            "hour": hour,
                            "base_model_id": model,
                            "team": team,
                            "invocations": calls,
                            "input_tokens": tokens_in,
                            "output_tokens": tokens_out,
                            "cache_read_tokens": calls * 10,
                            "cache_write_tokens": calls,
                            "client_errors": int(hour.hour % 5 == 0),
                            "server_errors": 0,
                            "throttles": int(hour.hour == 12),
                            "latency_ms_avg": 300.0,
                            "estimated_cost_usd": (price * calls / 10).quantize(
                                Decimal("0.000001")
                            ),
                            "priced": True,
                            "provisional": False,
                            "collected_at": NOW,
                        }
                    )
    return rows


def seed(session: Session) -> None:
    """Forty days of Bedrock usage, bills, three endpoints, budgets and alerts of every state."""
    first_day = TODAY - timedelta(days=DAYS - 1)
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    hours = int((NOW.replace(minute=0) - start).total_seconds() // 3600)
    upsert(session, BedrockUsageHourly, _hourly_rows(start, hours))

    cost_rows = []
    for offset in range(DAYS):
        day = first_day + timedelta(days=offset)
        for team, (account, bill) in TEAMS.items():
            # weekdays cost more than weekends, and each week a little more than the last
            amount = (
                bill * (Decimal("1.2") if day.weekday() < 5 else Decimal("0.5"))
                + Decimal(offset) / 4
            )
            cost_rows.append(_cost(day, account, "Amazon Bedrock", team, amount))
            if team == "search":
                cost_rows.append(_cost(day, account, "Amazon SageMaker", team, Decimal("30.00")))
    upsert(session, CostDaily, cost_rows)

    created = datetime(2026, 2, 1, tzinfo=UTC)
    endpoints = [
        (
            "search-ranker",
            ACCOUNTS[0],
            REGIONS[0],
            "search",
            "real-time",
            "ml.g5.xlarge",
            1,
            Decimal("1.4080"),
        ),
        (
            "support-idle-llm",
            ACCOUNTS[1],
            REGIONS[1],
            "support",
            "real-time",
            "ml.g5.2xlarge",
            2,
            Decimal("1.5150"),
        ),
        (
            "search-serverless",
            ACCOUNTS[0],
            REGIONS[0],
            "search",
            "serverless",
            None,
            0,
            Decimal("0"),
        ),
    ]
    upsert(
        session,
        Endpoint,
        [
            {
                "account_id": account,
                "region": region,
                "endpoint_name": name,
                "created_at": created,
                "endpoint_type": kind,
                "status": "InService",
                "team": team,
                "tags": {"team": team},
                "variants": [
                    {"name": "AllTraffic", "instance_type": instance, "instance_count": count}
                ]
                if instance
                else [{"name": "AllTraffic"}],
                "inference_components": [],
                "async_inference": None,
                "multi_model": False,
                "scales_to_zero": False,
                "last_seen_at": NOW,
                "endpoint_arn": None,
                "endpoint_config_name": None,
                "last_modified_at": None,
                "deleted_at": None,
            }
            for name, account, region, team, kind, instance, count, _price in endpoints
        ],
        key=["account_id", "region", "endpoint_name", "created_at"],
    )
    ids = {
        name: endpoint_id
        for name, endpoint_id in session.execute(select(Endpoint.endpoint_name, Endpoint.id))
    }
    hourly = []
    last_call = NOW.replace(minute=0) - timedelta(hours=60)
    for index in range(int((NOW.replace(minute=0) - start).total_seconds() // 3600)):
        hour = start + timedelta(hours=index)
        for name, _account, _region, _team, kind, instance, count, price in endpoints:
            if kind == "serverless":
                calls = 5 if hour.hour % 6 == 0 else 0
            elif name == "support-idle-llm":
                calls = 3 if hour <= last_call else 0
            else:
                calls = 20
            hourly.append(
                {
                    "endpoint_id": ids[name],
                    "hour": hour,
                    "status": "InService",
                    "instance_type": instance,
                    "instance_count": count,
                    "service_hours": Decimal(1),
                    "invocations": calls,
                    "component_invocations": 0,
                    "estimated_cost_usd": price * count,
                    "priced": True,
                    "collected_at": NOW,
                }
            )
    upsert(session, EndpointHourly, hourly)

    upsert(
        session,
        Budget,
        [
            {
                "team": "search",
                "service": "all",
                "period": "2026-03",
                "amount_usd": Decimal("5000"),
                "updated_at": NOW,
            },
            {
                "team": "support",
                "service": "all",
                "period": "2026-03",
                "amount_usd": Decimal("1500"),
                "updated_at": NOW,
            },
        ],
    )
    alerts = [
        (
            "idle_endpoint",
            f"{ACCOUNTS[1]}/us-west-2/support-idle-llm",
            "support",
            "firing",
            NOW - timedelta(hours=30),
            None,
        ),
        (
            "budget_forecast",
            "search/all/2026-03",
            "search",
            "pending",
            NOW - timedelta(hours=2),
            None,
        ),
        (
            "spend_spike",
            "support/Amazon Bedrock",
            "support",
            "silenced",
            NOW - timedelta(days=1),
            None,
        ),
        (
            "budget_threshold",
            "search/all/2026-03/0.5",
            "search",
            "resolved",
            NOW - timedelta(days=9),
            NOW - timedelta(days=4),
        ),
        (
            "idle_endpoint",
            f"{ACCOUNTS[0]}/us-east-1/old-endpoint",
            "search",
            "resolved",
            NOW - timedelta(days=20),
            NOW - timedelta(days=12),
        ),
    ]
    for rule, subject, team, state, opened, resolved in alerts:
        session.add(
            Alert(
                rule=rule,
                subject=subject,
                opened_at=opened,
                team=team,
                severity="warning",
                state=state,
                active_since=opened,
                fired_at=opened if state != "pending" else None,
                last_seen_at=NOW,
                last_notified_at=None,
                resolved_at=resolved,
                silenced_until=NOW + timedelta(days=1) if state == "silenced" else None,
                message=f"{rule} on {subject}",
                details={},
            )
        )


def _cost(day: date, account: str, service: str, team: str, amount: Decimal) -> dict[str, Any]:
    return {
        "day": day,
        "account_id": account,
        "service": service,
        "usage_group": "all",
        "team": team,
        "amount_usd": amount.quantize(Decimal("0.000001")),
        "amortized_usd": None,
        "estimated": False,
        "collected_at": NOW,
    }
