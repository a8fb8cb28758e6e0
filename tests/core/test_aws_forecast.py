"""AWS's month forecast (GetCostForecast): the pure request and transform, and the calls against
moto (which lacks the operation) and botocore's Stubber."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import boto3
from botocore.stub import Stubber

from core.aws import ClientFactory, Target
from core.aws_forecast import ForecastScope, forecast_request, month_forecasts, transform
from tests.helpers import OverridingFactory

ACCOUNT = "123456789012"  # moto's default account
MEMBER = "222222222222"
BEDROCK = "Amazon Bedrock"
SONNET = "Claude 3.5 Sonnet (Amazon Bedrock Edition)"
TODAY = date(2026, 11, 20)


def request(accounts, services, team="search"):
    return {
        "TimePeriod": {"Start": "2026-11-20", "End": "2026-12-01"},
        "Metric": "UNBLENDED_COST",
        "Granularity": "MONTHLY",
        "Filter": {
            "And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": accounts}},
                {"Dimensions": {"Key": "SERVICE", "Values": services}},
                {"Tags": {"Key": "team", "Values": [team]}},
            ]
        },
    }


def answer(amount):
    return {"Total": {"Amount": amount, "Unit": "USD"}, "ForecastResultsByTime": []}


def test_the_request_runs_to_the_month_end_and_is_sorted_and_unattributed_is_never_asked():
    assert forecast_request(
        tag_key="team", team="search", accounts=[ACCOUNT], services=[SONNET, BEDROCK], today=TODAY
    ) == request([ACCOUNT], [BEDROCK, SONNET])
    december = forecast_request(
        tag_key="team",
        team="search",
        accounts=[ACCOUNT],
        services=[BEDROCK],
        today=date(2026, 12, 31),
    )
    assert december is not None
    assert december["TimePeriod"] == {"Start": "2026-12-31", "End": "2027-01-01"}
    for team, accounts, services in (
        ("unattributed", [ACCOUNT], [BEDROCK]),
        ("search", [], [BEDROCK]),
        ("search", [ACCOUNT], []),
    ):
        assert (
            forecast_request(
                tag_key="team", team=team, accounts=accounts, services=services, today=TODAY
            )
            is None
        )


def test_transform_reads_the_total():
    assert transform(answer("1234.5")) == Decimal("1234.5")


def test_the_aws_forecast_is_used_where_it_exists_and_its_absence_is_handled(aws):
    clients = ClientFactory()
    target = Target(ACCOUNT, "us-east-1")
    scope = ForecastScope(("search",), (ACCOUNT,), (BEDROCK,))
    # moto has no GetCostForecast (it answers 500): no forecast, a warning, no crash
    assert month_forecasts(clients, [(target, [ACCOUNT])], "team", scope, TODAY) == {}
    assert clients.counter.count("ce", "GetCostForecast") == 1

    ce = boto3.client("ce", region_name="us-east-1")
    stubber = Stubber(ce)
    stubber.add_response(
        "get_cost_forecast", answer("1234.5"), request([ACCOUNT], [BEDROCK, SONNET])
    )
    stubber.activate()
    clients = OverridingFactory(ClientFactory(), {("ce", ACCOUNT, "us-east-1"): ce})
    scope = ForecastScope(("search", "unattributed"), (ACCOUNT,), (SONNET, BEDROCK))
    assert month_forecasts(clients, [(target, [ACCOUNT])], "team", scope, TODAY) == {
        "search": Decimal("1234.5")
    }
    stubber.assert_no_pending_responses()


def test_a_team_is_summed_over_targets_each_asked_for_its_own_accounts_only(aws):
    payer, member = Target(ACCOUNT, "us-east-1"), Target(MEMBER, "us-east-1")
    stubbed = {}
    for account, amount in ((ACCOUNT, "100"), (MEMBER, "23.5")):
        client = boto3.client("ce", region_name="us-east-1")
        stubber = Stubber(client)
        stubber.add_response("get_cost_forecast", answer(amount), request([account], [BEDROCK]))
        stubber.activate()
        stubbed[("ce", account, "us-east-1")] = client
    clients = OverridingFactory(ClientFactory(), stubbed)
    idle = Target("333333333333", "us-east-1")  # answers for no account: never asked
    scope = ForecastScope(("search",), (ACCOUNT, MEMBER), (BEDROCK,))
    forecasts = month_forecasts(
        clients, [(payer, [ACCOUNT]), (member, [MEMBER]), (idle, [])], "team", scope, TODAY
    )
    assert forecasts == {"search": Decimal("123.5")}
