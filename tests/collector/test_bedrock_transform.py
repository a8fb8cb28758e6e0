from datetime import UTC, datetime, timedelta
from decimal import Decimal

from collector.bedrock import (
    COUNT_COLUMNS,
    METRICS,
    NAMESPACE,
    BedrockCollector,
    PreparedTarget,
    ProfileAnswers,
    inference_profiles,
    plan_series,
    series_for_models,
    transform,
)
from collector.cloudwatch import Datapoint, MetricData, MetricSeries
from core.aws import ClientFactory, Target
from core.pricing import PriceCatalog
from core.settings import AttributionConfig, ProfileMapping, parse_config
from core.teams import InferenceProfile, index_profiles
from tests.collector.answers import load_answer

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


# --- recorded raw answers (tests/data/aws) ---

LLAMA = "meta.llama3-8b-instruct-v1:0"
PROFILE = "p0s1c2x3y4z5"
PROFILE_ARN = f"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/{PROFILE}"


def recorded_series():
    return plan_series(load_answer("cloudwatch", "bedrock_list_metrics"), {LLAMA})


def recorded_profiles():
    return inference_profiles(
        ProfileAnswers(
            load_answer("bedrock", "list_inference_profiles"),
            load_answer("bedrock", "list_tags_for_resource"),
        )
    )


def test_list_metrics_pages_plan_the_listed_series_and_every_metric_of_a_quiet_stored_model():
    assert [(s.dimension("ModelId"), s.metric_name, s.stat) for s in recorded_series()] == [
        (HAIKU, "Invocations", "Sum"),
        (HAIKU, "InputTokenCount", "Sum"),
        (HAIKU, "OutputTokenCount", "Sum"),
        (HAIKU, "InvocationLatency", "Average"),
        (PROFILE, "Invocations", "Sum"),
        (PROFILE, "OutputTokenCount", "Sum"),
        (PROFILE, "InvocationThrottles", "Sum"),
        *[(LLAMA, metric, stat) for metric, (_column, stat) in METRICS.items()],
    ]


def test_list_inference_profiles_pages_and_their_tags_become_profiles():
    assert recorded_profiles() == [
        InferenceProfile(
            profile_id=PROFILE,
            arn=PROFILE_ARN,
            base_model_id=HAIKU,  # one foundation-model ARN in one Region: in-region
            name="search-haiku",
            tags={"team": "search", "env": "prod"},
        ),
        InferenceProfile(
            profile_id="untagged9",
            arn="arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/untagged9",
            base_model_id=LLAMA,
            name="scratch",
            tags={},
        ),
    ]


def test_get_metric_data_pages_become_one_priced_row_per_model_and_hour():
    target = Target("123456789012", "us-east-1")
    series = recorded_series()
    collector = BedrockCollector(parse_config("", "t.yaml"), ClientFactory(), CATALOG)
    prepared = PreparedTarget(target, series, index_profiles(recorded_profiles()))
    pages = load_answer("cloudwatch", "bedrock_get_metric_data")
    fetched = MetricData(tuple(series), tuple(pages), HOUR, HOUR + timedelta(hours=2))
    collected_at = HOUR + timedelta(hours=1, minutes=30)
    shipped = CATALOG.price(HAIKU, "us-east-1")
    assert shipped is not None and shipped.source.startswith("genai-prices")

    def row(model_id, hour, **values):
        return {
            "account_id": "123456789012",
            "region": "us-east-1",
            "model_id": model_id,
            "hour": hour,
            "base_model_id": HAIKU,
            "team": "unattributed",
            **dict.fromkeys(COUNT_COLUMNS, 0),
            "latency_ms_avg": None,
            "priced": True,
            # the shipped catalog's source: no Price List points are stored in this test
            "price_source": shipped.source,
            "price_as_of": shipped.as_of,
            "routed_model_id": HAIKU,  # the id it was priced as (a profile resolves to it)
            "provisional": False,
            "collected_at": collected_at,
            "endpoint": "bedrock-runtime",
            **values,
        }

    assert collector.transform(prepared, fetched, collected_at) == [
        # 2M input tokens at $0.25 and 0.4M output tokens at $1.25 per million
        row(
            HAIKU,
            HOUR,
            invocations=4,
            input_tokens=2_000_000,
            output_tokens=400_000,
            latency_ms_avg=800.0,
            estimated_cost_usd=Decimal("1.000000"),
        ),
        row(
            PROFILE,
            HOUR,
            team="search",
            invocations=1,
            output_tokens=800_000,
            throttles=2,
            estimated_cost_usd=Decimal("1.000000"),
        ),
        row(
            HAIKU,
            HOUR + timedelta(hours=1),
            invocations=2,
            input_tokens=1_000_000,
            estimated_cost_usd=Decimal("0.250000"),
            provisional=True,
        ),
    ]


def test_rows_are_priced_at_the_price_list_point_in_force_in_their_hour():
    from core.pricing.dated import DatedPrices, DatedTokenPrices, Point

    sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    change = HOUR + timedelta(hours=1)

    def points(key, old, new):
        return {
            ("token", key, "us-east-1", kind): [
                Point(HOUR - timedelta(days=30), Decimal(old[i]), "1K tokens", f"sku {key} old"),
                Point(change, Decimal(new[i]), "1K tokens", f"sku {key} new"),
            ]
            for i, kind in enumerate(("input", "output"))
        }

    dated = DatedPrices(
        points(sonnet, ("0.0033", "0.0165"), ("0.0033", "0.0165"))
        | points(f"global.{sonnet}", ("0.003", "0.015"), ("0.002", "0.010"))
    )
    rows = transform(
        [
            point(f"global.{sonnet}", "InputTokenCount", 1_000_000),
            point(f"global.{sonnet}", "InputTokenCount", 1_000_000, at=change),
            point(f"us.{sonnet}", "InputTokenCount", 1_000_000),
        ],
        target=TARGET,
        profiles={},
        attribution=NO_MAPPING,
        catalog=CATALOG,
        collected_at=HOUR + timedelta(days=1),
        prices=DatedTokenPrices(CATALOG, dated),
    )
    assert [
        (r["model_id"][:3], r["hour"], r["estimated_cost_usd"], r["price_source"]) for r in rows
    ] == [
        ("glo", HOUR, Decimal("3.000000"), f"sku global.{sonnet} old"),
        ("us.", HOUR, Decimal("3.300000"), f"sku {sonnet} old"),
        ("glo", change, Decimal("2.000000"), f"sku global.{sonnet} new"),
    ]
