"""principal_usage_hourly rows for the alert tests, written through the model (the invocation-log
collector fills the table in production)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.db import upsert
from core.models import PrincipalUsageHourly

ACCOUNT = "111111111111"


def role(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def usage_row(
    hour: datetime,
    principal: str,
    cost: str | None,
    *,
    model: str = "anthropic.claude-3-5-sonnet-20240620-v1:0",
    team: str = "search",
    metadata: dict[str, str] | None = None,
    region: str = "us-east-1",
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """One principal-hour; ``cost`` None is an unpriced hour."""
    return {
        "hour": hour,
        "account_id": account,
        "region": region,
        "principal": principal,
        "model_id": model,
        "request_metadata": json.dumps(metadata or {}, sort_keys=True, separators=(",", ":")),
        "base_model_id": model,
        "team": team,
        "team_rule": "test",
        "invocations": 10,
        "input_tokens": 1000,
        "output_tokens": 100,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "estimated_cost_usd": None if cost is None else Decimal(cost),
        "priced": cost is not None,
        "price_source": "test" if cost is not None else None,
        "source": "s3",
        "collected_at": hour,
    }


def store(sessions, rows: list[dict[str, Any]]) -> None:
    with sessions.begin() as session:
        upsert(session, PrincipalUsageHourly, rows)
