"""The Mantle endpoint's usage (AWS/BedrockMantle) through the bedrock source: read in the same
GetMetricData batches as AWS/Bedrock, priced with the same token prices, stored apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from click.testing import CliRunner
from sqlalchemy import select

from collector.bedrock import BedrockCollector
from collector.runner import Runner
from core.aws import ClientFactory, resolve_targets
from core.models import BedrockUsageHourly
from core.pricing import PriceCatalog
from core.settings import parse_config
from demo.mantle import put_mantle_metrics
from demo.seed import put_bedrock_metrics
from monitor.cli import main
from tests.helpers import Clock

GPT = "openai.gpt-oss-120b-1:0"  # $0.15 in, $0.60 out per million tokens in us-east-1
START = datetime(2026, 10, 1, tzinfo=UTC)
NOW = START + timedelta(hours=6)
CONFIG = parse_config(
    """
accounts: [{id: "123456789012", name: ml, team: platform}]
regions: [us-east-1]
""",
    "test.yaml",
)


def collect(sessions, clients, start=None, end=None):
    collector = BedrockCollector(CONFIG, clients, PriceCatalog.load())
    runner = Runner(sessions, clients.counter, Clock(NOW))
    targets = resolve_targets(CONFIG.accounts, CONFIG.regions, clients)
    return runner.run(collector, runner.plan(collector, targets, start, end))


def seed() -> None:
    hours = [START + timedelta(hours=h, minutes=5) for h in range(4)]
    put_mantle_metrics(
        "us-east-1",
        [(GPT, "Inferences", at, 10) for at in hours]
        + [(GPT, "TotalInputTokens", at, 1_000_000) for at in hours]
        + [(GPT, "TotalOutputTokens", at, 500_000) for at in hours]
        + [(GPT, "InferenceClientErrors", hours[0], 2)],
    )
    # the account level (no dimension) and the Project level are not what is priced: not read
    put_mantle_metrics("us-east-1", [])
    put_bedrock_metrics(
        "us-east-1",
        [(GPT, "Invocations", hours[0], 3), (GPT, "InputTokenCount", hours[0], 2_000_000)],
    )


def rows(sessions) -> dict[tuple[str, datetime], BedrockUsageHourly]:
    with sessions() as session:
        return {(r.model_id, r.hour): r for r in session.scalars(select(BedrockUsageHourly))}


def test_mantle_tokens_are_stored_apart_priced_and_attributed_like_bedrock_runtime(aws, sessions):
    seed()
    clients = ClientFactory()
    result = collect(sessions, clients, START, NOW)
    assert [o.status for o in result.outcomes] == ["succeeded"]
    # one ListMetrics per namespace, and both namespaces' 4 + 2 series in one GetMetricData
    assert clients.counter.count("cloudwatch", "ListMetrics") == 2
    assert clients.counter.count("cloudwatch", "GetMetricData") == 1

    found = rows(sessions)
    mantle = found[(f"mantle:{GPT}", START)]
    assert (mantle.endpoint, mantle.base_model_id, mantle.team) == (
        "bedrock-mantle",
        GPT,
        "platform",
    )
    assert (
        mantle.invocations,
        mantle.input_tokens,
        mantle.output_tokens,
        mantle.client_errors,
    ) == (
        10,
        1_000_000,
        500_000,
        2,
    )
    assert mantle.estimated_cost_usd == Decimal("0.15") + Decimal("0.30")
    assert mantle.priced and mantle.price_source == "genai-prices 0.2.3"
    runtime = found[(GPT, START)]
    assert (runtime.endpoint, runtime.input_tokens) == ("bedrock-runtime", 2_000_000)
    assert runtime.estimated_cost_usd == Decimal("0.30")
    assert len([key for key in found if key[0].startswith("mantle:")]) == 4

    # re-collecting changes nothing
    before = {key: (r.input_tokens, r.estimated_cost_usd, r.endpoint) for key, r in found.items()}
    collect(sessions, ClientFactory(), START, NOW)
    after = {
        key: (r.input_tokens, r.estimated_cost_usd, r.endpoint) for key, r in rows(sessions).items()
    }
    assert after == before


def test_the_export_shows_the_endpoint_in_an_appended_column(aws, sessions, tmp_path, monkeypatch):
    seed()
    collect(sessions, ClientFactory(), START, NOW)
    monkeypatch.setenv(
        "DATABASE_URL", str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    )
    config = tmp_path / "config.yaml"
    config.write_text("regions: [us-east-1]\n")
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    result = CliRunner().invoke(
        main,
        [
            "export",
            "bedrock-usage",
            "--start",
            START.isoformat(),
            "--end",
            NOW.isoformat(),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert list(records[0])[-1] == "endpoint"
    by_model = {(r["model_id"], r["hour"]): r for r in records}
    first = by_model[(f"mantle:{GPT}", "2026-10-01T00:00:00Z")]
    assert (first["endpoint"], first["estimated_cost_usd"]) == ("bedrock-mantle", "0.450000")
    assert by_model[(GPT, "2026-10-01T00:00:00Z")]["endpoint"] == "bedrock-runtime"
