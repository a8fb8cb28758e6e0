from datetime import UTC, datetime, timedelta
from decimal import Decimal

from collector.bedrock import NAMESPACE, series_for_models, transform
from collector.cloudwatch import Datapoint, MetricSeries
from core.aws import Target
from core.pricing import PriceCatalog
from core.settings import AttributionConfig, ProfileMapping
from core.teams import InferenceProfile, index_profiles

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
HOUR = datetime(2026, 10, 5, 10, tzinfo=UTC)
TARGET = Target("111111111111", "us-east-1")
CATALOG = PriceCatalog.load()


def point(model_id, metric, value, at=HOUR, stat="Sum"):
    return Datapoint(MetricSeries(NAMESPACE, metric, (("ModelId", model_id),), stat), at, value)


NO_MAPPING = AttributionConfig()


def run(
    points,
    profiles=(),
    attribution=NO_MAPPING,
    collected_at=HOUR + timedelta(days=1),
    target=TARGET,
):
    return transform(
        points,
        target=target,
        profiles=index_profiles(list(profiles)),
        attribution=attribution,
        catalog=CATALOG,
        collected_at=collected_at,
    )


def test_one_row_per_model_and_hour_with_every_metric():
    rows = run(
        [
            point(HAIKU, "Invocations", 4),
            point(HAIKU, "InputTokenCount", 2_000_000),
            point(HAIKU, "OutputTokenCount", 400_000),
            point(HAIKU, "InvocationClientErrors", 1),
            point(HAIKU, "InvocationServerErrors", 2),
            point(HAIKU, "InvocationThrottles", 3),
            point(HAIKU, "InvocationLatency", 812.5, stat="Average"),
            point(HAIKU, "Invocations", 1, at=HOUR + timedelta(hours=1)),
        ]
    )
    assert [(r["hour"], r["invocations"]) for r in rows] == [
        (HOUR, 4),
        (HOUR + timedelta(hours=1), 1),
    ]
    first = rows[0]
    assert (first["input_tokens"], first["output_tokens"]) == (2_000_000, 400_000)
    assert (first["client_errors"], first["server_errors"], first["throttles"]) == (1, 2, 3)
    assert first["latency_ms_avg"] == 812.5
    # 2M * 0.25 + 0.4M * 1.25 per million
    assert first["estimated_cost_usd"] == Decimal("1.000000") and first["priced"] is True
    assert first["team"] == "unattributed" and first["base_model_id"] == HAIKU
    assert rows[1]["latency_ms_avg"] is None


def test_unknown_model_is_unpriced_with_null_cost():
    (row,) = run([point("acme.secret-model-v1", "InputTokenCount", 10)])
    assert row["priced"] is False and row["estimated_cost_usd"] is None
    assert row["input_tokens"] == 10


def test_cross_region_profile_priced_as_its_base_model():
    (row,) = run([point(f"us.{HAIKU}", "InputTokenCount", 1_000_000)])
    assert row["model_id"] == f"us.{HAIKU}" and row["base_model_id"] == HAIKU
    assert row["estimated_cost_usd"] == Decimal("0.250000")


def test_application_profile_attributed_by_tag_and_priced_by_base_model():
    profile = InferenceProfile(
        "p1",
        "arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/p1",
        f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        tags={"team": "search"},
    )
    (row,) = run([point("p1", "OutputTokenCount", 800_000)], profiles=[profile])
    assert (row["team"], row["base_model_id"], row["estimated_cost_usd"]) == (
        "search",
        HAIKU,
        Decimal("1.000000"),
    )


def test_config_mapping_and_account_team():
    attribution = AttributionConfig(
        inference_profiles={"p2": ProfileMapping(team="support", model=HAIKU)}
    )
    team_target = Target("222222222222", "us-east-1", default_team="data")
    rows = run(
        [point("p2", "Invocations", 1), point(HAIKU, "Invocations", 1)],
        attribution=attribution,
        target=team_target,
    )
    assert {r["model_id"]: r["team"] for r in rows} == {"p2": "support", HAIKU: "data"}


def test_newest_hours_are_provisional():
    rows = run(
        [
            point(HAIKU, "Invocations", 1, at=HOUR),
            point(HAIKU, "Invocations", 1, at=HOUR + timedelta(hours=1)),
        ],
        collected_at=HOUR + timedelta(hours=1, minutes=30),
    )
    assert [r["provisional"] for r in rows] == [False, True]


def test_series_for_models_only_asks_for_present_metrics():
    present = {("Invocations", "a"), ("InputTokenCount", "a")}
    assert {s.metric_name for s in series_for_models(["a"], present)} == {
        "Invocations",
        "InputTokenCount",
    }
    every = series_for_models(["b"])
    assert len(every) == 9 and {s.stat for s in every} == {"Sum", "Average"}
