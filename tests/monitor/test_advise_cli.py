"""`genai-monitor advise` on a seeded database: break-even per workload and endpoint hints, as JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from click.testing import CliRunner

from core.db import upsert
from core.models import BedrockUsageHourly, Endpoint, EndpointHourly
from core.rollups import rebuild_rollups
from core.timeutil import floor_hour, utcnow
from monitor.cli import main

LLAMA = "meta.llama3-1-8b-instruct-v1:0"


def test_advise_json_lists_workloads_hints_and_their_assumptions(
    tmp_path, monkeypatch, database_url, sessions
):
    end = floor_hour(utcnow())
    hours = [end - timedelta(hours=h) for h in range(1, 49)]
    usage = [
        {
            "account_id": "111111111111",
            "region": "us-east-1",
            "model_id": LLAMA,
            "hour": hour,
            "base_model_id": LLAMA,
            "team": "search",
            "invocations": 1000,
            "input_tokens": 2_000_000,
            "output_tokens": 200_000,
            "cache_read_tokens": 0,
            "cache_write_tokens": 0,
            "client_errors": 0,
            "server_errors": 0,
            "throttles": 0,
            "latency_ms_avg": None,
            "estimated_cost_usd": Decimal("0.484"),
            "priced": True,
            "provisional": False,
            "collected_at": end,
        }
        for hour in hours
    ]
    created = end - timedelta(hours=48)
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, usage)
        endpoint = Endpoint(
            account_id="111111111111",
            region="us-east-1",
            endpoint_name="llama-chat",
            created_at=created,
            endpoint_arn=None,
            endpoint_config_name="c",
            endpoint_type="real-time",
            status="InService",
            last_modified_at=None,
            deleted_at=None,
            team="support",
            tags={},
            variants=[{"variant_name": "v", "instance_type": "ml.g5.2xlarge", "instance_count": 2}],
            inference_components=[],
            async_inference=None,
            multi_model=False,
            scales_to_zero=False,
            last_seen_at=end,
        )
        session.add(endpoint)
        session.flush()
        # called in 12 of its 48 hours, 300 calls at most
        upsert(
            session,
            EndpointHourly,
            [
                {
                    "endpoint_id": endpoint.id,
                    "hour": created + timedelta(hours=h),
                    "status": "InService",
                    "instance_type": "ml.g5.2xlarge",
                    "instance_count": 2,
                    "service_hours": Decimal(1),
                    "invocations": 300 if h % 4 == 0 else 0,
                    "component_invocations": 0,
                    "estimated_cost_usd": Decimal("3.030000"),
                    "priced": True,
                    "collected_at": end,
                }
                for h in range(48)
            ],
        )
        rebuild_rollups(session)  # a writer of hourly rows keeps their daily rollups
    config = tmp_path / "genai-monitor.yaml"
    config.write_text('advisor: {endpoint_models: {"llama-*": "meta.llama3-1-8b-instruct-v1:0"}}\n')
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(
        main, ["advise", "--days", "2", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (workload,) = report["workloads"]
    # 96 M input + 9.6 M output tokens in 48 h -> x 730/48 a month at $0.22 per million each way
    assert workload["model_id"] == LLAMA and workload["family"] == "llama-8b"
    assert Decimal(workload["tokens_per_month"]) == Decimal("1606000000")
    assert Decimal(workload["bedrock_monthly_usd"]) == Decimal("353.32")
    assert workload["assumptions"] and all(a["source"] for a in workload["assumptions"])
    kinds = {hint["kind"]: hint for hint in report["endpoints"]}
    assert set(kinds) >= {"bedrock", "scale_to_zero", "fewer_instances"}
    assert kinds["scale_to_zero"]["endpoint_name"] == "llama-chat"
    # idle 36 of 48 hours: 75% of $3.03 x 730 a month
    assert Decimal(kinds["scale_to_zero"]["monthly_saving_usd"]) == Decimal("1658.93")
    table = CliRunner().invoke(main, ["advise", "--days", "2"], catch_exceptions=False)
    assert "llama-chat" in table.output and "Bedrock $353.32" in table.output
