"""The demo's Cost Explorer answers TAG group-bys and filters on IAM principal tags
(`iamPrincipal/<key>`), untagged callers as `iamPrincipal/team$`."""

from __future__ import annotations

from decimal import Decimal

from demo.cost_explorer import answer
from demo.world import ACCOUNT
from tests.collector.test_cost_explorer_principals import world

REQUEST = {
    "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-02"},
    "Granularity": "DAILY",
    "Metrics": ["UnblendedCost"],
    "GroupBy": [
        {"Type": "DIMENSION", "Key": "SERVICE"},
        {"Type": "TAG", "Key": "iamPrincipal/team"},
    ],
}


def groups(request) -> dict[tuple[str, ...], Decimal]:
    (result,) = answer(world(), request, ACCOUNT)["ResultsByTime"]
    return {
        tuple(g["Keys"]): Decimal(g["Metrics"]["UnblendedCost"]["Amount"]) for g in result["Groups"]
    }


def test_group_by_a_principal_tag_tells_the_caller_not_the_resource():
    assert groups(REQUEST) == {
        ("Amazon Bedrock", "iamPrincipal/team$search"): Decimal("10"),
        ("Amazon Bedrock", "iamPrincipal/team$support"): Decimal("4"),
        ("Amazon SageMaker", "iamPrincipal/team$search"): Decimal("5"),
        ("Claude 3.5 Sonnet (Amazon Bedrock Edition)", "iamPrincipal/team$"): Decimal("3"),
    }
    # the resource tag of the same lines: support's calls are on an untagged resource
    by_resource = {**REQUEST, "GroupBy": [{"Type": "TAG", "Key": "team"}]}
    assert groups(by_resource) == {("team$search",): Decimal("15"), ("team$",): Decimal("7")}


def test_a_filter_on_a_principal_tag_value():
    request = {
        **REQUEST,
        "Filter": {"Tags": {"Key": "iamPrincipal/costcenter", "Values": ["cc-7"]}},
    }
    assert groups(request) == {("Amazon Bedrock", "iamPrincipal/team$support"): Decimal("4")}
