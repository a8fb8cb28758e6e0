"""The client factory, call counting, the error policy and pagination, against moto's server."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from core.aws import (
    AwsDenied,
    AwsFatal,
    AwsTransient,
    ClientFactory,
    Target,
    classify,
    pages,
    resolve_targets,
)
from core.settings import parse_config
from demo.seed import put_bedrock_metrics
from tests.conftest import RealAwsRequest

TARGET = Target("123456789012", "us-east-1")


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened\nsecond line"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "ListMetrics",
    )


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("AccessDenied", 403, AwsDenied),
        ("AccessDeniedException", 400, AwsDenied),
        ("UnrecognizedClientException", 400, AwsDenied),
        ("OptInRequired", 403, AwsDenied),
        ("ThrottlingException", 400, AwsTransient),
        ("Throttling", 400, AwsTransient),
        ("LimitExceededException", 400, AwsTransient),
        ("InternalFailure", 500, AwsTransient),
        ("SomethingNew", 503, AwsTransient),
        ("ValidationException", 400, AwsFatal),
        ("InvalidParameterValue", 400, AwsFatal),
    ],
)
def test_error_policy(code, status, kind):
    error = classify(client_error(code, status), "cloudwatch", "ListMetrics")
    assert type(error) is kind
    assert str(error) == f"cloudwatch:ListMetrics failed ({code}): {code} happened"


def test_connection_errors_are_transient():
    error = classify(
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "cloudwatch", "ListMetrics"
    )
    assert isinstance(error, AwsTransient)


def test_calls_are_counted_per_operation_once_however_many_pages(aws):
    put_bedrock_metrics(
        "us-east-1",
        [(f"vendor.m{i}", "Invocations", datetime(2026, 10, 1, tzinfo=UTC), 1) for i in range(501)],
    )
    factory = ClientFactory()
    client = factory("cloudwatch", TARGET)
    assert factory("cloudwatch", TARGET) is client  # cached
    listed = [
        m
        for page in pages(client, "list_metrics", Namespace="AWS/Bedrock")
        for m in page["Metrics"]
    ]
    assert len(listed) == 501
    assert factory.counter.count("cloudwatch", "ListMetrics") == 2
    assert factory.counter.snapshot() == {"cloudwatch:ListMetrics": 2}


def test_pages_follows_other_token_names_and_refuses_a_repeated_token():
    client = boto3.client("ce", region_name="us-east-1")
    stubber = Stubber(client)
    period = {"Start": "2026-10-01", "End": "2026-10-02"}
    answer = {"ResultsByTime": [], "DimensionValueAttributes": []}
    stubber.add_response("get_cost_and_usage", {**answer, "NextPageToken": "t1"})
    stubber.add_response("get_cost_and_usage", {**answer, "NextPageToken": "t2"})
    stubber.add_response("get_cost_and_usage", answer)
    stubber.add_response("get_cost_and_usage", {**answer, "NextPageToken": "same"})
    stubber.add_response("get_cost_and_usage", {**answer, "NextPageToken": "same"})
    with stubber:
        got = list(
            pages(
                client,
                "get_cost_and_usage",
                token_param="NextPageToken",
                TimePeriod=period,
                Granularity="DAILY",
                Metrics=["UnblendedCost"],
            )
        )
        assert len(got) == 3
        with pytest.raises(AwsFatal, match="returned the page token 'same' twice"):
            list(
                pages(
                    client,
                    "get_cost_and_usage",
                    token_param="NextPageToken",
                    TimePeriod=period,
                    Granularity="DAILY",
                    Metrics=["UnblendedCost"],
                )
            )


def test_errors_inside_pages_come_out_typed():
    client = boto3.client("cloudwatch", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_client_error(
        "list_metrics", service_error_code="AccessDenied", http_status_code=403
    )
    with stubber, pytest.raises(AwsDenied, match="cloudwatch:ListMetrics failed"):
        list(pages(client, "list_metrics", Namespace="AWS/Bedrock"))


def test_assumed_role_clients_act_in_the_other_account(aws):
    factory = ClientFactory()
    target = Target("111111111111", "us-east-1", role_arn="arn:aws:iam::111111111111:role/Reader")
    sts = factory("sts", target)
    assert sts.get_caller_identity()["Account"] == "111111111111"
    assert factory.counter.count("sts", "AssumeRole") == 1
    assert factory("sts", TARGET).get_caller_identity()["Account"] == "123456789012"


def test_targets_are_accounts_times_regions_or_the_callers_account(aws):
    factory = ClientFactory()
    config = parse_config("regions: [us-east-1, eu-west-1]", "t.yaml")
    assert resolve_targets(config.accounts, config.regions, factory) == [
        Target("123456789012", "us-east-1"),
        Target("123456789012", "eu-west-1"),
    ]
    config = parse_config(
        "accounts: [{id: '111111111111', name: prod, team: search}]\nregions: [us-west-2]\nteams: [{name: search}]",
        "t.yaml",
    )
    (target,) = resolve_targets(config.accounts, config.regions, factory)
    assert (target.account_id, target.region, target.default_team, target.label) == (
        "111111111111",
        "us-west-2",
        "search",
        "prod/us-west-2",
    )


def test_the_guard_stops_any_request_to_real_aws():
    client = boto3.client("cloudwatch", region_name="us-east-1")
    with pytest.raises(RealAwsRequest, match="amazonaws.com"):
        client.list_metrics(Namespace="AWS/Bedrock")


@pytest.mark.parametrize(
    "value",
    [
        1700000000,
        1700000000.25,
        "1700000000",
        "2026-11-25T10:00:00Z",
        "2026-11-25T10:00:00.123+02:00",
        "2026-11-25T10:00:00",
        "Wed, 25 Nov 2026 10:00:00 GMT",
    ],
)
def test_fast_timestamps_parse_as_botocore_does(value):
    from botocore.utils import parse_timestamp

    from core.aws import fast_timestamp

    ours, botocores = fast_timestamp(value), parse_timestamp(value)
    assert ours == botocores and (ours.tzinfo is None) == (botocores.tzinfo is None)


def test_clients_answer_aware_timestamps(aws):
    put_bedrock_metrics("us-east-1", [("m", "Invocations", datetime(2026, 1, 1, 5, tzinfo=UTC), 3)])
    client = ClientFactory().client("cloudwatch", TARGET)
    answer = client.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "q",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Bedrock",
                        "MetricName": "Invocations",
                        "Dimensions": [{"Name": "ModelId", "Value": "m"}],
                    },
                    "Period": 3600,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=datetime(2026, 1, 1, tzinfo=UTC),
        EndTime=datetime(2026, 1, 2, tzinfo=UTC),
    )
    assert answer["MetricDataResults"][0]["Timestamps"] == [datetime(2026, 1, 1, 5, tzinfo=UTC)]
