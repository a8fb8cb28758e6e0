"""A large organisation for the benchmarks: tables filled straight from arithmetic, and a CloudWatch
answering from arithmetic, so a benchmark measures the monitor and not its stand-in.

The dashboard benchmark's world: 50 models x 3 regions of hourly Bedrock usage, 40 SageMaker
endpoints hour by hour (the last two idle for ten days), daily bills for 8 teams and three
services, budgets and two alert episodes a day, for any number of days up to NOW. The ingest
benchmark's rows: 100 models' consecutive hours, any slice of them, with a salt that changes
every value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.alert_state import AlertState
from core.db import upsert
from core.models import Alert, BedrockUsageHourly, Budget, CostDaily, EndpointHourly
from core.rollups import rebuild_rollups
from core.services import BEDROCK_SERVICE, SAGEMAKER_SERVICE, marketplace_service
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

NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
MODELS = [f"vendor.model-{index:02d}-v1:0" for index in range(50)]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
TEAMS = [f"team-{index}" for index in range(7)] + ["unattributed"]
SERVICES = [BEDROCK_SERVICE, SAGEMAKER_SERVICE, marketplace_service("Claude 3.5 Sonnet")]
ENDPOINTS = 40
BUDGET = Decimal(20000)


def config() -> MonitorConfig:
    """The config the large organisation goes with: its regions, its teams' budgets, idle alerts."""
    teams = "".join(
        f"  - {{name: {team}, monthly_budget_usd: {BUDGET}}}\n"
        for team in TEAMS
        if team != "unattributed"
    )
    return parse_config(
        f"regions: [{', '.join(REGIONS)}]\nteams:\n{teams}"
        "alerts:\n  rules:\n    - {kind: idle_endpoint, for: 24h}\n"
    )


def bedrock_rows(first_hour: datetime, hours: int) -> Iterator[dict[str, Any]]:
    """Every model in every region for every hour: the hourly table at its fullest."""
    for offset in range(hours):
        hour = first_hour + timedelta(hours=offset)
        for model_index, model in enumerate(MODELS):
            for region_index, region in enumerate(REGIONS):
                calls = 5 + (model_index * 7 + region_index * 3 + offset) % 40
                yield bedrock_row(
                    account_id=ACCOUNTS[model_index % len(ACCOUNTS)],
                    region=region,
                    model_id=model,
                    hour=hour,
                    team=TEAMS[model_index % len(TEAMS)],
                    invocations=calls,
                    input_tokens=calls * 900,
                    output_tokens=calls * 150,
                    cache_read_tokens=calls * 20,
                    cache_write_tokens=calls,
                    client_errors=int(calls % 3 == 0),
                    throttles=int(calls % 11 == 0),
                    latency_ms_avg=700.0,
                    estimated_cost_usd=Decimal(calls * 9) / 1000,
                    collected_at=NOW,
                )


def endpoint_rows(ids: Sequence[int], first_hour: datetime, hours: int) -> Iterator[dict[str, Any]]:
    """Every endpoint every hour; the last two have had no call for ten days."""
    idle_since = NOW - timedelta(days=10)
    for offset in range(hours):
        hour = first_hour + timedelta(hours=offset)
        for index, endpoint_id in enumerate(ids):
            idle = index >= len(ids) - 2 and hour >= idle_since
            yield endpoint_hour_row(
                endpoint_id=endpoint_id,
                hour=hour,
                instance_type="ml.g5.xlarge",
                instance_count=1,
                invocations=0 if idle else 10 + index,
                estimated_cost_usd=Decimal("1.408"),
                collected_at=NOW,
            )


def cost_rows(first_day: date, days: int) -> Iterator[dict[str, Any]]:
    """One bill line per day, team and service."""
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for team_index, team in enumerate(TEAMS):
            for service_index, service in enumerate(SERVICES):
                amount = Decimal(100 + team_index * 20 + service_index * 5 + offset % 9)
                yield cost_row(day, ACCOUNTS[team_index % 3], service, team, amount, NOW)


def alerts(first_day: date, days: int) -> list[Alert]:
    """Two resolved alert episodes a day over the history, and a few open ones now."""
    rows = []
    for offset in range(days):
        opened = datetime.combine(
            first_day + timedelta(days=offset), datetime.min.time(), tzinfo=UTC
        ) + timedelta(hours=3)
        open_now = offset >= days - 2
        for index in range(2):
            rows.append(
                alert(
                    rule="idle_endpoint",
                    subject=f"{ACCOUNTS[0]}/us-east-1/endpoint-{(offset + index) % ENDPOINTS:02d}",
                    team=TEAMS[index],
                    state=AlertState.FIRING if open_now else AlertState.RESOLVED,
                    opened=opened + timedelta(hours=index),
                    active_since=opened,
                    seen=opened,
                    resolved=None if open_now else opened + timedelta(hours=20),
                    message="idle",
                )
            )
    return rows


def seed_endpoints(session: Session, first_hour: datetime, hours: int) -> None:
    """The endpoints, all created when the history starts, and their hours."""
    ids = put_endpoints(
        session,
        (
            endpoint_row(
                account_id=ACCOUNTS[index % 3],
                region=REGIONS[index % 3],
                name=f"endpoint-{index:02d}",
                team=TEAMS[index % len(TEAMS)],
                instance_type="ml.g5.xlarge",
                created_at=first_hour,
                seen_at=NOW,
            )
            for index in range(ENDPOINTS)
        ),
    )
    upsert(session, EndpointHourly, endpoint_rows([ids[n] for n in sorted(ids)], first_hour, hours))


def seed(sessions: sessionmaker[Session], days: int) -> None:
    """Fill a migrated database with ``days`` of history ending at NOW, a transaction per table."""
    first_day = TODAY - timedelta(days=days - 1)
    first_hour = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    hours = int((NOW - first_hour).total_seconds() // 3600)
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, bedrock_rows(first_hour, hours))
    with sessions.begin() as session:
        seed_endpoints(session, first_hour, hours)
        rebuild_rollups(session)  # the hourly rows went in without the collector's refresh
    with sessions.begin() as session:
        upsert(session, CostDaily, cost_rows(first_day, days))
        periods = sorted({f"{first_day + timedelta(days=n):%Y-%m}" for n in range(days)})
        upsert(
            session,
            Budget,
            [budget_row(team, period, BUDGET, NOW) for team in TEAMS[:-1] for period in periods],
        )
        session.add_all(alerts(first_day, days))


# --- the ingest benchmark ---

INGEST_START = datetime(2025, 1, 1, tzinfo=UTC)
INGEST_MODELS = 100


def usage_rows(start: int, stop: int, salt: int = 0) -> Iterator[dict[str, Any]]:
    """Rows number ``start`` to ``stop`` (100 models x consecutive hours); ``salt`` changes the values."""
    collected = INGEST_START + timedelta(days=500)
    for index in range(start, stop):
        model = index % INGEST_MODELS
        tokens = 1000 + index % 997 + salt
        yield bedrock_row(
            account_id="111111111111",
            region="us-east-1" if model % 2 else "eu-west-1",
            model_id=f"vendor.model-{model}-v1:0",
            hour=INGEST_START + timedelta(hours=index // INGEST_MODELS),
            team=f"team-{model % 7}",
            invocations=3 + salt,
            input_tokens=tokens,
            output_tokens=tokens // 4,
            latency_ms_avg=850.0,
            estimated_cost_usd=Decimal(tokens) / Decimal(1000),
            collected_at=collected,
        )


class ArithmeticCloudWatch:
    """CloudWatch answering ListMetrics/GetMetricData from arithmetic: every metric of every model,
    one value per hour, so a backfill of any size costs the stand-in nothing."""

    class _Meta:
        class _Model:
            service_name = "cloudwatch"

        service_model = _Model()
        method_to_api_mapping = {"list_metrics": "ListMetrics", "get_metric_data": "GetMetricData"}

    meta = _Meta()

    def __init__(self, models: int, metrics: Sequence[str]) -> None:
        self.metrics = list(metrics)
        self.models = models

    def list_metrics(self, **_: Any) -> dict[str, Any]:
        """Every metric for every model, in one page."""
        return {
            "Metrics": [
                {
                    "Namespace": "AWS/Bedrock",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "ModelId", "Value": f"vendor.model-{m}"}],
                }
                for m in range(self.models)
                for metric in self.metrics
            ]
        }

    def get_metric_data(
        self,
        MetricDataQueries: list[dict[str, Any]],  # noqa: N803 - boto3's parameter names
        StartTime: datetime,  # noqa: N803
        EndTime: datetime,  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        """One value per query per hour of the window."""
        hours = int((EndTime - StartTime).total_seconds() // 3600)
        stamps = [StartTime + timedelta(hours=h) for h in range(hours)]
        return {
            "MetricDataResults": [
                {
                    "Id": query["Id"],
                    "Timestamps": stamps,
                    "Values": [float(10 + h % 5) for h in range(hours)],
                    "StatusCode": "Complete",
                }
                for query in MetricDataQueries
            ]
        }
