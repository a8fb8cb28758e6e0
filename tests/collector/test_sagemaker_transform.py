"""The SageMaker collector's pure parts on fixture answers: lives, reconciliation, hourly rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from collector.cloudwatch import Datapoint, MetricData, MetricSeries, datapoints
from collector.sagemaker_hours import hourly_rows, metric_series
from collector.sagemaker_inventory import Described
from collector.sagemaker_lives import endpoint_life, reconcile, snapshot_lives
from core.aws import Target
from core.pricing import InstancePriceCatalog
from core.settings import AttributionConfig
from tests.collector.answers import load_answer

T0 = datetime(2026, 10, 1, tzinfo=UTC)
TARGET = Target("123456789012", "us-east-1", default_team="platform")
ATTRIBUTION = AttributionConfig(tag_key="cost-team")
CATALOG = InstancePriceCatalog.load()


def described(
    name="ep", variants=None, config_variants=None, created=T0, status="InService", **extra
) -> Described:
    endpoint = {
        "EndpointName": name,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}",
        "EndpointConfigName": f"{name}-config",
        "EndpointStatus": status,
        "CreationTime": created,
        "LastModifiedTime": created,
        "ProductionVariants": variants
        if variants is not None
        else [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1}],
    }
    config = {
        "ProductionVariants": config_variants
        if config_variants is not None
        else [
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InstanceType": "ml.g5.xlarge",
                "InitialInstanceCount": 1,
            }
        ]
    }
    config.update(extra.pop("config", {}))
    return Described(endpoint, config, **extra)


def scalable_target(min_capacity: int) -> dict:
    """One DescribeScalableTargets ScalableTarget of the endpoint ep's AllTraffic variant."""
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/ep/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": min_capacity,
        "MaxCapacity": 4,
        "RoleARN": "arn:aws:iam::123456789012:role/autoscaling",
        "CreationTime": T0,
    }


def life(d: Described, seen_at=T0 + timedelta(hours=10)):
    return endpoint_life(d, target=TARGET, attribution=ATTRIBUTION, seen_at=seen_at)


def point(namespace, dims, at, value):
    return Datapoint(MetricSeries(namespace, "Invocations", dims, "Sum"), at, value)


def test_a_real_time_endpoint_takes_its_team_from_the_configured_tag_else_the_account_default():
    tagged = life(
        described(
            tags=[{"Key": "cost-team", "Value": " search "}, {"Key": "team", "Value": "ignored"}]
        )
    )
    untagged = life(described(tags=[{"Key": "team", "Value": "ignored"}]))
    assert (tagged.team, untagged.team) == ("search", "platform")
    assert tagged.endpoint_type == "real-time"
    assert tagged.variants[0] == {
        "variant_name": "AllTraffic",
        "model_name": "m",
        "instance_type": "ml.g5.xlarge",
        "instance_count": 1,
        "desired_instance_count": None,
        "serverless": None,
        "min_capacity": None,
    }
    nobody = endpoint_life(
        described(), target=Target("123456789012", "us-east-1"), attribution=ATTRIBUTION, seen_at=T0
    )
    assert nobody.team == "unattributed"


def test_serverless_async_multi_model_and_inference_component_endpoints_are_told_apart():
    serverless = life(
        described(
            variants=[
                {
                    "VariantName": "AllTraffic",
                    "CurrentServerlessConfig": {
                        "MemorySizeInMB": 4096,
                        "MaxConcurrency": 10,
                        "ProvisionedConcurrency": 2,
                    },
                }
            ],
            config_variants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "ServerlessConfig": {"MemorySizeInMB": 4096, "MaxConcurrency": 10},
                }
            ],
        )
    )
    assert serverless.endpoint_type == "serverless"
    assert serverless.variants[0]["serverless"] == {
        "memory_mb": 4096,
        "max_concurrency": 10,
        "provisioned_concurrency": 2,
    }
    assert serverless.variants[0]["instance_count"] == 0

    async_config = {"AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://b/o"}}}
    to_zero = life(
        described(
            config=async_config,
            scalable_targets=[scalable_target(0)],
            variants=[{"VariantName": "AllTraffic", "CurrentInstanceCount": 0}],
        )
    )
    kept_warm = life(described(config=async_config, scalable_targets=[scalable_target(1)]))
    unknown = life(described(config=async_config))
    assert (
        to_zero.endpoint_type,
        to_zero.scales_to_zero,
        to_zero.variants[0]["instance_count"],
    ) == ("async", True, 0)
    assert to_zero.async_inference == async_config["AsyncInferenceConfig"]
    assert (kept_warm.scales_to_zero, unknown.scales_to_zero) == (False, False)

    mme = life(described(models={"m": {"PrimaryContainer": {"Mode": "MultiModel"}}}))
    assert (mme.endpoint_type, mme.multi_model) == ("multi-model", True)

    components = life(
        described(
            config_variants=[
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.g5.12xlarge",
                    "InitialInstanceCount": 1,
                }
            ],
            variants=[{"VariantName": "AllTraffic", "CurrentInstanceCount": 2}],
            components=[
                {
                    "InferenceComponentName": "llama",
                    "InferenceComponentStatus": "InService",
                    "VariantName": "AllTraffic",
                    "CreationTime": T0,
                }
            ],
        )
    )
    assert components.endpoint_type == "inference-components"
    assert components.inference_components == [
        {
            "name": "llama",
            "status": "InService",
            "variant_name": "AllTraffic",
            "created_at": T0.isoformat(),
            # a List summary alone says nothing of copies or reservations
            "copies": None,
            "accelerators": None,
            "cpu_cores": None,
            "memory_mb": None,
        }
    ]
    assert components.variants[0]["instance_count"] == 2  # the current count, not the initial one
    # invocations are in AWS/SageMaker; /aws/sagemaker/InferenceComponents holds utilisation only
    assert {(s.namespace, s.dimensions) for s in metric_series([components])} == {
        ("AWS/SageMaker", (("EndpointName", "ep"), ("VariantName", "AllTraffic"))),
        ("AWS/SageMaker", (("InferenceComponentName", "llama"),)),
    }


def test_reconcile_marks_vanished_lives_deleted_at_the_snapshot_or_when_the_name_was_reused():
    snapshot = T0 + timedelta(hours=10)
    old = life(described("a"), seen_at=T0 + timedelta(hours=2))
    gone = life(described("b"), seen_at=T0 + timedelta(hours=2))
    already = replace(life(described("c")), deleted_at=T0 + timedelta(hours=1))
    reborn = life(described("a", created=T0 + timedelta(hours=4)))
    lives = {
        (x.endpoint_name, x.created_at): x
        for x in reconcile([reborn], [old, gone, already], snapshot)
    }
    assert lives[("a", T0)].deleted_at == T0 + timedelta(hours=4)
    assert lives[("a", T0 + timedelta(hours=4))].deleted_at is None
    assert lives[("b", T0)].deleted_at == snapshot
    assert lives[("c", T0)].deleted_at == T0 + timedelta(hours=1)
    assert lives[("b", T0)].last_seen_at == T0 + timedelta(hours=2)  # when it was last listed


def rows(
    lives,
    points=(),
    start=T0,
    end=T0 + timedelta(hours=6),
    snapshot=T0 + timedelta(hours=5, minutes=30),
):
    return [
        row
        for _key, row in hourly_rows(
            lives,
            points,
            start=start,
            end=end,
            snapshot_at=snapshot,
            catalog=CATALOG,
            collected_at=snapshot,
        )
    ]


def test_hours_are_prorated_at_creation_and_at_the_snapshot_and_priced_per_instance_hour():
    two = life(
        described(
            created=T0 + timedelta(hours=1, minutes=15),
            variants=[{"VariantName": "AllTraffic", "CurrentInstanceCount": 2}],
            config_variants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstanceType": "ml.g5.xlarge",
                    "InitialInstanceCount": 2,
                }
            ],
        )
    )
    result = rows([two])
    assert [r["hour"] for r in result] == [T0 + timedelta(hours=h) for h in range(1, 6)]
    assert [r["service_hours"] for r in result] == [Decimal("0.75"), 1, 1, 1, Decimal("0.5")]
    assert sum(r["estimated_cost_usd"] for r in result) == Decimal("4.25") * 2 * Decimal("1.408")
    assert all(r["priced"] and r["instance_count"] == 2 for r in result)


def test_a_creating_endpoint_costs_nothing_and_an_unknown_instance_type_is_unpriced():
    creating = life(described(status="Creating"))
    exotic = life(
        described(
            "x",
            config_variants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstanceType": "ml.x99.huge",
                    "InitialInstanceCount": 1,
                }
            ],
        )
    )
    first, *_ = rows([creating])
    assert (first["service_hours"], first["estimated_cost_usd"], first["priced"]) == (0, 0, True)
    assert all(r["estimated_cost_usd"] is None and not r["priced"] for r in rows([exotic]))
    serverless = life(
        described(
            variants=[
                {
                    "VariantName": "AllTraffic",
                    "CurrentServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1},
                }
            ],
            config_variants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1},
                }
            ],
        )
    )
    # serverless bills per use: an hour without invocations costs $0, priced
    assert all(
        r["estimated_cost_usd"] == 0 and r["priced"] and r["service_hours"] == 1
        for r in rows([serverless])[:5]
    )


def test_invocations_are_summed_over_variants_and_components_are_not_counted_twice():
    two = life(
        described(
            variants=[
                {"VariantName": "a", "CurrentInstanceCount": 1},
                {"VariantName": "b", "CurrentInstanceCount": 1},
            ],
            config_variants=[
                {
                    "VariantName": "a",
                    "ModelName": "m",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                },
                {
                    "VariantName": "b",
                    "ModelName": "m",
                    "InstanceType": "ml.c5.large",
                    "InitialInstanceCount": 1,
                },
            ],
            components=[{"InferenceComponentName": "ic", "VariantName": "a"}],
        )
    )
    hour = T0 + timedelta(hours=2)
    points = [
        point("AWS/SageMaker", (("EndpointName", "ep"), ("VariantName", "a")), hour, 3),
        point("AWS/SageMaker", (("EndpointName", "ep"), ("VariantName", "b")), hour, 4),
        point("AWS/SageMaker", (("InferenceComponentName", "ic"),), hour, 6),
        # a utilisation namespace's series of the same name is not a count of calls
        point("/aws/sagemaker/InferenceComponents", (("InferenceComponentName", "ic"),), hour, 55),
        point("AWS/SageMaker", (("EndpointName", "other"), ("VariantName", "a")), hour, 100),
    ]
    by_hour = {r["hour"]: r for r in rows([two], points)}
    assert (by_hour[hour]["invocations"], by_hour[hour]["component_invocations"]) == (7, 6)
    assert by_hour[hour]["instance_type"] == "ml.c5.large,ml.m5.large"
    assert by_hour[hour]["estimated_cost_usd"] == Decimal("0.217000")


@pytest.mark.parametrize("minute", [0, 59])
def test_metrics_of_a_reused_name_belong_to_the_life_running_in_that_hour(minute):
    old = replace(life(described()), deleted_at=T0 + timedelta(hours=3))
    new = life(described(created=T0 + timedelta(hours=3)))
    points = [
        point(
            "AWS/SageMaker",
            (("EndpointName", "ep"), ("VariantName", "AllTraffic")),
            T0 + timedelta(hours=h, minutes=minute),
            1,
        )
        for h in range(5)
    ]
    result = hourly_rows(
        [old, new],
        points,
        start=T0,
        end=T0 + timedelta(hours=5),
        snapshot_at=T0 + timedelta(hours=5),
        catalog=CATALOG,
        collected_at=T0,
    )
    calls = {(key[3], row["hour"]): row["invocations"] for key, row in result}
    assert sum(calls.values()) == 5
    assert [calls[(T0, T0 + timedelta(hours=h))] for h in range(3)] == [1, 1, 1]
    assert [calls[(T0 + timedelta(hours=3), T0 + timedelta(hours=h))] for h in (3, 4)] == [1, 1]


def test_describe_endpoints_reads_inference_components_and_skips_one_deleted_while_listing():
    import boto3
    from botocore.stub import Stubber

    from collector.sagemaker_inventory import describe_endpoints

    client = boto3.client("sagemaker", region_name="us-east-1")
    stubber = Stubber(client)
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/{}"
    stubber.add_response(
        "list_endpoints",
        {
            "Endpoints": [
                {
                    "EndpointName": n,
                    "EndpointArn": arn.format(n),
                    "CreationTime": T0,
                    "LastModifiedTime": T0,
                    "EndpointStatus": "InService",
                }
                for n in ("vanished", "ic")
            ]
        },
        {"MaxResults": 100},
    )
    stubber.add_client_error(
        "describe_endpoint",
        "ValidationException",
        'Could not find endpoint "vanished".',
        400,
        expected_params={"EndpointName": "vanished"},
    )
    stubber.add_response(
        "describe_endpoint",
        {
            "EndpointName": "ic",
            "EndpointArn": arn.format("ic"),
            "EndpointConfigName": "ic-config",
            "EndpointStatus": "InService",
            "CreationTime": T0,
            "LastModifiedTime": T0,
            "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 2}],
        },
        {"EndpointName": "ic"},
    )
    stubber.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "ic-config",
            "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/ic-config",
            "CreationTime": T0,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.g5.12xlarge",
                    "InitialInstanceCount": 1,
                }
            ],
        },
        {"EndpointConfigName": "ic-config"},
    )
    stubber.add_response(
        "list_tags",
        {"Tags": [{"Key": "team", "Value": "search"}]},
        {"ResourceArn": arn.format("ic")},
    )
    stubber.add_response(
        "list_inference_components",
        {
            "InferenceComponents": [
                {
                    "InferenceComponentName": "llama",
                    "InferenceComponentArn": "arn:aws:sagemaker:us-east-1:123456789012:inference-component/llama",
                    "EndpointName": "ic",
                    "EndpointArn": arn.format("ic"),
                    "VariantName": "AllTraffic",
                    "InferenceComponentStatus": "InService",
                    "CreationTime": T0,
                    "LastModifiedTime": T0,
                }
            ]
        },
        {"EndpointNameEquals": "ic"},
    )
    stubber.add_response(
        "describe_inference_component",
        {
            "InferenceComponentName": "llama",
            "InferenceComponentArn": "arn:aws:sagemaker:us-east-1:123456789012:inference-component/llama",
            "EndpointName": "ic",
            "EndpointArn": arn.format("ic"),
            "VariantName": "AllTraffic",
            "Specification": {
                "ModelName": "llama-model",
                "ComputeResourceRequirements": {
                    "NumberOfAcceleratorDevicesRequired": 2,
                    "MinMemoryRequiredInMb": 32768,
                },
            },
            "RuntimeConfig": {"DesiredCopyCount": 2, "CurrentCopyCount": 2},
            "CreationTime": T0,
            "LastModifiedTime": T0,
            "InferenceComponentStatus": "InService",
        },
        {"InferenceComponentName": "llama"},
    )
    with stubber:
        found = describe_endpoints(client, None, TARGET, T0 + timedelta(hours=1))
    stubber.assert_no_pending_responses()
    assert [d.endpoint["EndpointName"] for d in found] == ["ic"]
    ic = endpoint_life(found[0], target=TARGET, attribution=AttributionConfig(), seen_at=T0)
    assert (ic.endpoint_type, ic.team, ic.inference_components[0]["name"]) == (
        "inference-components",
        "search",
        "llama",
    )
    assert (ic.inference_components[0]["copies"], ic.inference_components[0]["accelerators"]) == (
        2,
        2,
    )


# --- recorded raw answers (tests/data/aws) ---

CREATED = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
SNAPSHOT = datetime(2026, 10, 1, 11, tzinfo=UTC)


def recorded_described() -> list[Described]:
    """The Describe answers of four endpoints, as ``describe_endpoints`` gathers them."""
    endpoints = load_answer("sagemaker", "describe_endpoint")
    configs = load_answer("sagemaker", "describe_endpoint_config")
    tags = load_answer("sagemaker", "list_tags")
    models = load_answer("sagemaker", "describe_model")
    scalable = load_answer("application-autoscaling", "describe_scalable_targets")
    found = []
    for page in load_answer("sagemaker", "list_endpoints"):
        for summary in page["Endpoints"]:
            endpoint = endpoints[summary["EndpointName"]]
            config = configs[endpoint["EndpointConfigName"]]
            found.append(
                Described(
                    endpoint,
                    config,
                    tags=[tag for p in tags[endpoint["EndpointArn"]] for tag in p["Tags"]],
                    models={
                        v["ModelName"]: models[v["ModelName"]] for v in config["ProductionVariants"]
                    },
                    scalable_targets=[
                        item
                        for p in scalable.get(endpoint["EndpointName"], [])
                        for item in p["ScalableTargets"]
                    ],
                )
            )
    return found


def recorded_lives():
    return snapshot_lives(
        recorded_described(),
        [],
        target=TARGET,
        attribution=AttributionConfig(),
        snapshot_at=SNAPSHOT,
    )


def test_describe_answers_become_lives_of_each_endpoint_type():
    lives = recorded_lives()
    assert [
        (life.endpoint_name, life.endpoint_type, life.team, life.scales_to_zero, life.multi_model)
        for life in lives
    ] == [
        ("batch-async", "async", "research", True, False),
        ("chat-serverless", "serverless", "platform", False, False),
        ("mme", "multi-model", "platform", False, True),
        ("search-llm", "real-time", "search", False, False),
    ]
    assert lives[3].row() == {
        "account_id": "123456789012",
        "region": "us-east-1",
        "endpoint_name": "search-llm",
        "created_at": CREATED,
        "endpoint_arn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/search-llm",
        "endpoint_config_name": "search-llm-config",
        "endpoint_type": "real-time",
        "status": "InService",
        "last_modified_at": CREATED,
        "deleted_at": None,
        "team": "search",
        "tags": {"team": "search"},
        "variants": [
            {
                "variant_name": "AllTraffic",
                "model_name": "search-llm-model",
                "instance_type": "ml.g4dn.2xlarge",
                "instance_count": 2,
                "desired_instance_count": 2,
                "serverless": None,
                "min_capacity": None,
            }
        ],
        "inference_components": [],
        "async_inference": None,
        "multi_model": False,
        "scales_to_zero": False,
        "last_seen_at": SNAPSHOT,
    }
    assert lives[0].async_inference == {"OutputConfig": {"S3OutputPath": "s3://genai-async/out"}}
    assert lives[0].variants[0]["min_capacity"] == 0
    assert lives[1].variants[0]["serverless"] == {
        "memory_mb": 4096,
        "max_concurrency": 5,
        "provisioned_concurrency": None,
    }


def test_get_metric_data_pages_become_prorated_priced_endpoint_hours():
    lives = recorded_lives()
    start = datetime(2026, 10, 1, 8, tzinfo=UTC)
    series = metric_series(lives)
    pages = load_answer("cloudwatch", "sagemaker_get_metric_data")
    fetched = MetricData(tuple(series), tuple(pages), start, start + timedelta(hours=2))
    rows = hourly_rows(
        lives,
        datapoints(fetched),
        start=start,
        end=start + timedelta(hours=2),
        snapshot_at=SNAPSHOT,
        catalog=CATALOG,
        collected_at=SNAPSHOT,
    )
    assert [
        (key[2], row["hour"].hour, row["service_hours"], row["invocations"])
        + (row["estimated_cost_usd"], row["priced"])
        for key, row in rows
    ] == [
        ("batch-async", 8, Decimal("0.500000"), 0, Decimal("0.368200"), True),
        ("batch-async", 9, Decimal("1.000000"), 0, Decimal("0.736400"), True),
        ("chat-serverless", 8, Decimal("0.500000"), 0, Decimal("0.000000"), True),
        ("chat-serverless", 9, Decimal("1.000000"), 0, Decimal("0.000000"), True),
        ("mme", 8, Decimal("0.500000"), 0, Decimal("0.115000"), True),
        ("mme", 9, Decimal("1.000000"), 4, Decimal("0.230000"), True),
        ("search-llm", 8, Decimal("0.500000"), 12, Decimal("0.940000"), True),
        ("search-llm", 9, Decimal("1.000000"), 30, Decimal("1.880000"), True),
    ]
    assert rows[-1] == (
        ("123456789012", "us-east-1", "search-llm", CREATED),
        {
            "hour": start + timedelta(hours=1),
            "status": "InService",
            "instance_type": "ml.g4dn.2xlarge",
            "instance_count": 2,
            "service_hours": Decimal("1.000000"),
            "invocations": 30,
            "component_invocations": 0,
            "inference_seconds": None,
            "estimated_cost_usd": Decimal("1.880000"),
            "priced": True,
            "price_source": CATALOG.price("ml.g4dn.2xlarge", "us-east-1").source,
            "price_as_of": "2026-11-25",
            "collected_at": SNAPSHOT,
        },
    )
