"""The rules on a snapshot read from real collected data: SageMaker through moto, costs and usage in the tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from alerts.service import evaluate_once
from alerts.snapshot_source import build_snapshot
from collector.runner import Runner
from collector.sagemaker import SageMakerCollector
from core.aws import ClientFactory, resolve_targets
from core.budgets import sync_budgets
from core.db import upsert
from core.models import Alert, BedrockUsageHourly, CostDaily
from core.queries.endpoints import endpoint_summaries
from core.settings import parse_config
from demo.seed import create_sagemaker_endpoint, put_sagemaker_invocations

CREATED = datetime(2026, 11, 10, 6, tzinfo=UTC)
NOW = CREATED + timedelta(hours=48, minutes=20)

CONFIG = parse_config(
    """
regions: [us-east-1]
teams: [{name: search, monthly_budget_usd: 1000}, {name: support, monthly_budget_usd: 100}]
alerts:
  rules:
    - {kind: idle_endpoint, for: 24h}
    - {kind: budget_threshold, thresholds: [0.5, 1.0]}
    - {kind: budget_forecast}
    - {kind: spend_spike, factor: 3, baseline_days: 7, min_increase_usd: 20}
    - {kind: stale_data, for: 6h}
""",
    "t.yaml",
)


def open_alerts(sessions) -> dict[str, tuple[str, str]]:
    with sessions() as session:
        return {
            a.subject: (a.rule, a.state)
            for a in session.scalars(select(Alert).where(Alert.state != "resolved"))
        }


def test_idle_endpoints_collected_from_sagemaker_raise_the_idle_alert(aws, sessions):
    create_sagemaker_endpoint(
        "busy",
        [{"name": "AllTraffic", "instance_type": "ml.m5.large"}],
        created_at=CREATED,
        tags={"team": "search"},
    )
    create_sagemaker_endpoint(
        "idle",
        [{"name": "AllTraffic", "instance_type": "ml.m5.large"}],
        created_at=CREATED,
        tags={"team": "search"},
    )
    create_sagemaker_endpoint(
        "quiet-serverless",
        [{"name": "AllTraffic", "serverless": {"MemorySizeInMB": 2048, "MaxConcurrency": 2}}],
        created_at=CREATED,
    )
    put_sagemaker_invocations(
        "us-east-1",
        [("busy", "AllTraffic", CREATED + timedelta(hours=h, minutes=5), 10) for h in range(48)],
    )
    factory = ClientFactory()
    collector = SageMakerCollector(CONFIG, factory)
    runner = Runner(sessions, factory.counter, lambda: NOW)
    runner.run(
        collector,
        runner.plan(
            collector, resolve_targets(CONFIG.accounts, CONFIG.regions, factory), CREATED, NOW
        ),
    )

    summary = evaluate_once(
        sessions, CONFIG, lambda session, now: build_snapshot(CONFIG, session, now), NOW
    )
    alerts = open_alerts(sessions)
    assert alerts == {"123456789012/us-east-1/idle": ("idle_endpoint", "firing")}
    with sessions() as session:
        idle = next(s for s in endpoint_summaries(session, end=NOW) if s.endpoint_name == "idle")
        alert = session.scalars(select(Alert)).one()
    assert alert.team == "search"
    assert alert.details["idle_cost_usd"] == str(idle.idle_cost_usd)
    assert f"${idle.idle_cost_usd:,.2f} spent while idle" in alert.message
    assert summary.count("fired") == 1


def test_budgets_spikes_and_stale_collectors_from_the_tables(sessions):
    now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    lines = []
    for day in range(1, 20):
        for team, amount in (("search", "40"), ("support", "1")):
            lines.append(
                {
                    "day": date(2026, 11, day),
                    "account_id": "111111111111",
                    "service": "Amazon Bedrock",
                    "usage_group": "input_tokens",
                    "team": team,
                    "amount_usd": Decimal(amount),
                    "amortized_usd": None,
                    "estimated": False,
                    "collected_at": now,
                }
            )
    usage = []
    for day in range(8):
        hour = datetime(2026, 11, 12 + day, 12, tzinfo=UTC)
        cost = Decimal("90") if day == 7 else Decimal("10")  # the 19th spikes
        usage.append(
            {
                "account_id": "111111111111",
                "region": "us-east-1",
                "model_id": "m",
                "hour": hour,
                "base_model_id": "m",
                "team": "search",
                "invocations": 1,
                "input_tokens": 1,
                "output_tokens": 1,
                "cache_read_tokens": 0,
                "cache_write_tokens": 0,
                "client_errors": 0,
                "server_errors": 0,
                "throttles": 0,
                "latency_ms_avg": None,
                "estimated_cost_usd": cost,
                "priced": True,
                "provisional": False,
                "collected_at": now,
            }
        )
    runs = [
        {
            "source": "bedrock",
            "account_id": "111111111111",
            "region": "eu-west-1",
            "window_start": now - timedelta(days=2),
            "window_end": now - timedelta(days=1),
            "status": "succeeded",
            "started_at": now - timedelta(hours=20),
            "finished_at": now - timedelta(hours=20),
            "api_calls": 1,
            "rows": 1,
            "message": None,
        }
    ]
    with sessions.begin() as session:
        upsert(session, CostDaily, lines)
        upsert(session, BedrockUsageHourly, usage)
        from core.models import CollectorRun

        upsert(session, CollectorRun, runs, key=["source", "account_id", "region", "window_start"])
        sync_budgets(session, CONFIG, now)
    evaluate_once(sessions, CONFIG, lambda session, at: build_snapshot(CONFIG, session, at), now)
    alerts = open_alerts(sessions)
    # search: $760 of $1000 so far (50% crossed), projected ~$1,200 for November: forecast alert
    assert alerts["search/2026-11/50%"] == ("budget_threshold", "firing")
    assert "search/2026-11/100%" not in alerts
    assert alerts["search/2026-11"] == ("budget_forecast", "firing")
    assert "support/2026-11/50%" not in alerts and "support/2026-11" not in alerts
    assert alerts["team/search/2026-11-19"] == ("spend_spike", "firing")
    assert alerts["model/m/2026-11-19"] == ("spend_spike", "firing")
    assert alerts["bedrock/111111111111/eu-west-1"] == ("stale_data", "firing")
