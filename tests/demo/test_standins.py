"""The stand-ins for what moto lacks: the indexed GetMetricData answers exactly what moto's own
implementation answers, and the SageMaker clock back-dates endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3

from demo.seed import create_sagemaker_endpoint
from demo.standins import indexed_metric_data


def test_indexed_get_metric_data_answers_what_moto_answers(aws):
    client = boto3.client("cloudwatch", region_name="us-east-1")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    data = []
    for minute in range(0, 600, 7):
        at = start + timedelta(minutes=minute)
        data.append(
            {
                "MetricName": "InputTokenCount",
                "Dimensions": [{"Name": "ModelId", "Value": "a"}],
                "Timestamp": at,
                "Value": minute,
            }
        )
        data.append(
            {
                "MetricName": "InputTokenCount",
                "Dimensions": [{"Name": "ModelId", "Value": "b"}],
                "Timestamp": at,
                "Value": 1,
            }
        )
        data.append(
            {
                "MetricName": "InvocationLatency",
                "Dimensions": [{"Name": "ModelId", "Value": "a"}],
                "Timestamp": at,
                "Value": 100 + minute % 13,
            }
        )
    client.put_metric_data(Namespace="AWS/Bedrock", MetricData=data)
    queries = [
        {
            "Id": f"q{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Bedrock",
                    "MetricName": name,
                    "Dimensions": [{"Name": "ModelId", "Value": model}],
                },
                "Period": period,
                "Stat": stat,
            },
        }
        for i, (name, model, period, stat) in enumerate(
            [
                ("InputTokenCount", "a", 3600, "Sum"),
                ("InputTokenCount", "b", 300, "Sum"),
                ("InvocationLatency", "a", 3600, "Average"),
                ("InvocationLatency", "a", 900, "Maximum"),
                ("InputTokenCount", "missing", 3600, "Sum"),
            ]
        )
    ]

    def ask(scan: str) -> list:
        answer = client.get_metric_data(
            MetricDataQueries=queries,
            StartTime=start + timedelta(minutes=30),
            EndTime=start + timedelta(hours=9, minutes=10),
            ScanBy=scan,
        )
        return [(r["Id"], r["Timestamps"], r["Values"]) for r in answer["MetricDataResults"]]

    expected = {scan: ask(scan) for scan in ("TimestampAscending", "TimestampDescending")}
    assert any(values for _id, _stamps, values in expected["TimestampAscending"])
    with indexed_metric_data():
        assert {scan: ask(scan) for scan in expected} == expected


def test_the_sagemaker_clock_back_dates_an_endpoint(aws):
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    create_sagemaker_endpoint(
        "dated", [{"name": "AllTraffic", "instance_type": "ml.m5.large"}], created_at=created
    )
    described = boto3.client("sagemaker", region_name="us-east-1").describe_endpoint(
        EndpointName="dated"
    )
    assert described["CreationTime"] == created
