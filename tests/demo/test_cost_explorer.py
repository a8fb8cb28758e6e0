"""The demo's Cost Explorer answers each GetCostAndUsage request from its parameters: the same
request gets the same answer in any order, and every way of cutting the bill adds up to it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from core.services import BEDROCK_SERVICE, SAGEMAKER_SERVICE
from demo.cost_explorer import answer, cost_explorer
from demo.generate import World, generate
from demo.world import ACCOUNT

NOW = datetime(2026, 3, 19, 15, 40, tzinfo=UTC)
MONTHLY = {
    "TimePeriod": {"Start": "2026-01-01", "End": "2026-03-20"},
    "Granularity": "MONTHLY",
    "Metrics": ["UnblendedCost"],
    "GroupBy": [
        {"Type": "DIMENSION", "Key": "SERVICE"},
        {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
    ],
}


@pytest.fixture(scope="module")
def world() -> World:
    return generate(NOW, 40)


def daily(service: str, **extra: Any) -> dict[str, Any]:
    """The collector's kind of request: one service's days by usage type and team tag."""
    return {
        "TimePeriod": {"Start": "2026-02-01", "End": "2026-03-20"},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "Filter": {
            "And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [ACCOUNT]}},
                {"Dimensions": {"Key": "SERVICE", "Values": [service]}},
            ]
        },
        "GroupBy": [{"Type": "DIMENSION", "Key": "USAGE_TYPE"}, {"Type": "TAG", "Key": "team"}],
        **extra,
    }


def total(answer_: dict[str, Any], metric: str = "UnblendedCost") -> Decimal:
    return sum(
        (
            Decimal(group["Metrics"][metric]["Amount"])
            for result in answer_["ResultsByTime"]
            for group in result["Groups"]
        ),
        Decimal(0),
    )


def test_a_monthly_answer_is_cut_at_month_edges_and_groups_by_service_and_account(world):
    monthly = answer(world, MONTHLY)["ResultsByTime"]
    assert [(r["TimePeriod"]["Start"], r["TimePeriod"]["End"]) for r in monthly] == [
        ("2026-01-01", "2026-02-01"),
        ("2026-02-01", "2026-03-01"),
        ("2026-03-01", "2026-03-20"),
    ]
    assert monthly[0]["Groups"] == []  # before the history starts
    services = [g["Keys"][0] for g in monthly[1]["Groups"]]
    assert services == sorted(services)
    assert {BEDROCK_SERVICE, SAGEMAKER_SERVICE} <= set(services)
    assert {g["Keys"][1] for r in monthly for g in r["Groups"]} == {ACCOUNT}
    assert total(answer(world, MONTHLY)) == sum(item.amount for item in world.cost_items())
    assert [r["Estimated"] for r in monthly] == [False, False, True]


def test_daily_answers_per_service_add_up_to_the_bill_in_any_order(world):
    services = sorted({item.service for item in world.cost_items()})
    forwards = [answer(world, daily(service)) for service in services]
    backwards = [answer(world, daily(service)) for service in reversed(services)]
    assert forwards == list(reversed(backwards))
    assert all(len(a["ResultsByTime"]) == 47 for a in forwards)
    assert sum(map(total, forwards), Decimal(0)) == sum(item.amount for item in world.cost_items())
    keys = [g["Keys"] for a in forwards for r in a["ResultsByTime"] for g in r["Groups"]]
    assert all(tag.startswith("team$") for _usage, tag in keys)
    assert "team$" in {tag for _usage, tag in keys}  # the models called directly, untagged


def test_filters_on_tags_and_their_negation_split_the_bill(world):
    research = {"Tags": {"Key": "team", "Values": ["research"]}}
    whole = total(answer(world, {**MONTHLY, "GroupBy": MONTHLY["GroupBy"][:1]}))
    mine = total(answer(world, {**MONTHLY, "Filter": research}))
    others = total(answer(world, {**MONTHLY, "Filter": {"Not": research}}))
    assert mine > 0 and mine + others == whole


def test_a_long_answer_comes_in_pages_that_join_to_the_whole(world):
    whole = answer(world, daily(BEDROCK_SERVICE))
    pages, token = [], None
    while True:
        request = daily(BEDROCK_SERVICE, **({"NextPageToken": token} if token else {}))
        page = answer(world, request, page_size=10)
        pages.append(page)
        token = page.get("NextPageToken")
        if not token:
            break
    assert len(pages) == 5
    assert [r for p in pages for r in p["ResultsByTime"]] == whole["ResultsByTime"]


def test_without_group_by_the_total_carries_every_metric_asked(world):
    request = {
        "TimePeriod": {"Start": "2026-03-01", "End": "2026-03-02"},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost", "AmortizedCost"],
    }
    (result,) = answer(world, request)["ResultsByTime"]
    assert result["Groups"] == []
    day = sum(
        (i.amount for i in world.cost_items() if i.day.isoformat() == "2026-03-01"), Decimal(0)
    )
    assert {m: Decimal(v["Amount"]) for m, v in result["Total"].items()} == {
        "UnblendedCost": day,
        "AmortizedCost": day,
    }


def test_requests_it_cannot_answer_are_refused(world):
    with pytest.raises(ValueError, match="HOURLY"):
        answer(world, {**MONTHLY, "Granularity": "HOURLY"})
    with pytest.raises(ValueError, match="REGION"):
        answer(world, {**MONTHLY, "GroupBy": [{"Type": "DIMENSION", "Key": "REGION"}]})


def test_moto_answers_from_the_world_while_installed(aws, world):
    client = boto3.client("ce", region_name="us-east-1")
    with cost_explorer(world):
        through_moto = client.get_cost_and_usage(**daily(SAGEMAKER_SERVICE))
    assert through_moto["ResultsByTime"] == answer(world, daily(SAGEMAKER_SERVICE))["ResultsByTime"]
    assert total(through_moto) > 0
