"""The pure parts of the vector stores and Mantle sources, on recorded AWS answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from collector import bedrock_mantle as mantle
from collector.cloudwatch import Datapoint
from collector.vector_hours import hourly_rows, metric_series
from collector.vector_inventory import Inventory, collection_lives, reconcile
from core.aws import Target
from core.pricing.ocu import OcuPrices, ocu_shares
from core.settings import parse_config
from tests.collector.answers import load_answer

TARGET = Target("123456789012", "us-east-1", default_team="platform")
SEEN = datetime(2026, 10, 5, 12, tzinfo=UTC)
SUPPORT = "arn:aws:aoss:us-east-1:123456789012:collection/07tjusf2h91cunochc"


def recorded_inventory() -> Inventory:
    tags = load_answer("opensearchserverless", "list_tags_for_resource")
    return Inventory(
        collections=load_answer("opensearchserverless", "batch_get_collection")[0][
            "collectionDetails"
        ],
        tags={arn: pages[0]["tags"] for arn, pages in tags.items()},
        knowledge_bases=[
            answer["knowledgeBase"]
            for answer in load_answer("bedrock-agent", "get_knowledge_base").values()
        ],
    )


def lives():
    config = parse_config("", "t.yaml")
    return collection_lives(
        recorded_inventory(), target=TARGET, attribution=config.attribution, seen_at=SEEN
    )


def test_collections_get_their_team_creation_and_the_knowledge_bases_stored_in_them():
    support, scratch = lives()
    assert (support.name, support.team, support.created_at, support.standby_replicas) == (
        "support-kb",
        "support",
        datetime(2026, 9, 24, tzinfo=UTC),
        "ENABLED",
    )
    # two knowledge bases store in it; the RDS one stores elsewhere
    assert [kb["name"] for kb in support.knowledge_bases] == ["faq", "support-docs"]
    assert (scratch.team, scratch.knowledge_bases, scratch.tags) == ("platform", [], {})


def test_a_stored_collection_missing_from_the_listing_is_deleted_at_the_snapshot():
    support, scratch = lives()
    later = SEEN + timedelta(hours=1)
    result = reconcile([support], [support, scratch], later)
    assert [(life.name, life.deleted_at) for life in result] == [
        ("support-kb", None),
        ("scratch", later),
    ]
    # already marked: the first date stays
    assert reconcile([], [result[1]], later + timedelta(hours=5))[0].deleted_at == later


def test_shares_split_an_hour_equally_by_presence_and_sum_to_one():
    assert ocu_shares({"a": Decimal(1), "b": Decimal(1), "c": Decimal(1)}) == {
        "a": Decimal("0.333333"),
        "b": Decimal("0.333333"),
        "c": Decimal("0.333334"),
    }
    assert ocu_shares({"a": Decimal(1), "b": Decimal("0.5")}) == {
        "a": Decimal("0.666667"),
        "b": Decimal("0.333333"),
    }
    assert ocu_shares({"a": Decimal(0)}) == {"a": Decimal(0)}


def test_ocu_prices_are_regional_and_dated_and_unknown_regions_are_unpriced():
    prices = OcuPrices.from_data(
        {
            "source": "file",
            "prices": {
                "us-east-1": [
                    {"effective_from": "2024-01-01", "usd": "0.24"},
                    {"effective_from": "2026-10-01", "usd": "0.20"},
                ]
            },
        }
    )
    assert prices.price("us-east-1", datetime(2026, 9, 30, 23, tzinfo=UTC)).usd == Decimal("0.24")
    assert prices.price("us-east-1", datetime(2026, 10, 1, tzinfo=UTC)).usd == Decimal("0.20")
    assert prices.price("us-east-1", datetime(2023, 1, 1, tzinfo=UTC)) is None
    assert prices.price("ap-south-2", datetime(2026, 10, 1, tzinfo=UTC)) is None
    assert OcuPrices.shipped().price("us-west-2", SEEN).usd == Decimal("0.24")


def test_hourly_rows_share_the_account_ocus_and_count_each_collections_requests():
    support, scratch = lives()
    series = metric_series(TARGET.account_id, [support, scratch])
    assert [(s.metric_name, s.stat, len(s.dimensions)) for s in series] == [
        ("SearchOCU", "Average", 1),
        ("IndexingOCU", "Average", 1),
        ("SearchRequestRate", "Sum", 3),
        ("IngestionRequestRate", "Sum", 3),
        ("SearchRequestRate", "Sum", 3),
        ("IngestionRequestRate", "Sum", 3),
    ]
    hour = datetime(2026, 10, 5, 9, tzinfo=UTC)
    points = [
        Datapoint(series[0], hour, 1.5),
        Datapoint(series[1], hour, 0.5),
        Datapoint(series[2], hour, 240.0),
    ]
    rows = hourly_rows(
        [support, scratch],
        points,
        start=hour,
        end=hour + timedelta(hours=1),
        snapshot_at=SEEN,
        prices=OcuPrices.shipped(),
        collected_at=SEEN,
    )
    by_name = {key[2]: row for key, row in rows}
    first = by_name["07tjusf2h91cunochc"]
    assert (first["search_requests"], first["ocu_share"], first["ocu_hours"]) == (
        240,
        Decimal("0.5"),
        Decimal("1"),
    )
    assert first["estimated_cost_usd"] == Decimal("0.24")
    assert by_name["1iu5usc406kd8w2ns5"]["search_requests"] == 0
    assert by_name["1iu5usc406kd8w2ns5"]["estimated_cost_usd"] == Decimal("0.24")


def test_mantle_plans_the_model_level_series_only():
    planned = mantle.plan_series(
        load_answer("cloudwatch", "mantle_list_metrics"), ["mantle:qwen.qwen3-32b-v1:0", "x.y"]
    )
    assert [(s.metric_name, s.dimensions) for s in planned] == [
        ("Inferences", (("Model", "openai.gpt-oss-120b-1:0"),)),
        ("TotalInputTokens", (("Model", "openai.gpt-oss-120b-1:0"),)),
        ("TotalOutputTokens", (("Model", "openai.gpt-oss-120b-1:0"),)),
        # a stored Mantle model ListMetrics no longer lists: every metric
        *[(m, (("Model", "qwen.qwen3-32b-v1:0"),)) for m in mantle.METRICS],
    ]
    assert mantle.mantle_model("mantle:openai.gpt-oss-120b-1:0") == "openai.gpt-oss-120b-1:0"
    assert mantle.mantle_model("openai.gpt-oss-120b-1:0") is None
