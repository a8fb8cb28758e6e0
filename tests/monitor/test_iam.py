"""The shipped IAM policy allows every AWS operation the collectors and notifiers call, and
grants nothing they do not call: recorded during a real cycle of the `run` service against moto."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests
from botocore.client import BaseClient
from botocore.stub import Stubber

from collector.cur_athena import AthenaEngine, AthenaPlace, AthenaQueryFailed
from collector.principal_tags import principal_tag_lookup
from core.aws import Target
from core.aws_forecast import ForecastScope
from core.settings import EnvSettings
from demo.athena import athena_server
from demo.athena_catalog import register_table
from demo.bedrock_control import BedrockControlState, bedrock_control_plane
from demo.cur import CurLine, write_export
from demo.invocation_logs import (
    Call,
    put_log_events,
    put_object,
)
from demo.price_list import price_list_server
from demo.seed import create_sagemaker_endpoint, put_bedrock_metrics
from demo.vector_stores import create_collection, create_knowledge_base
from monitor.cli.budgets import aws_forecaster
from monitor.context import AppContext
from monitor.prices import refresh_prices
from monitor.scheduler import Service

POLICY = Path(__file__).resolve().parents[2] / "iam" / "collector-policy.json"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/GenAIMonitorReadOnly"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:genai-cost-monitor-alerts"
PROFILE_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3d4e5f6"
# boto3 client name -> IAM action prefix
IAM_PREFIXES = {
    "cloudwatch": "cloudwatch",
    "sagemaker": "sagemaker",
    "bedrock": "bedrock",
    "ce": "ce",
    "sts": "sts",
    "sns": "sns",
    "application-autoscaling": "application-autoscaling",
    "pricing": "pricing",
    "opensearchserverless": "aoss",
    "bedrock-agent": "bedrock",
    "s3": "s3",
    "athena": "athena",
    "glue": "glue",
    "iam": "iam",
    "logs": "logs",
}
# operations whose IAM action has another name
IAM_ACTIONS = {"s3:ListObjectsV2": "s3:ListBucket"}
CUR_BUCKET = "genai-cost-monitor-cur"
INVOCATION_LOGS = "org-bedrock-invocation-logs"
LOG_GROUP = "/aws/bedrock/model-invocations"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
ATHENA_RESULTS = "genai-cost-monitor-athena-results"
# operations AWS lets every principal call, whatever its policy
ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}
CONFIG = f"""
accounts: [{{id: "{ACCOUNT}", name: prod, role_arn: "{ROLE}"}}]
regions: [us-east-1]
teams: [{{name: search, monthly_budget_usd: 100}}]
collection:
  bedrock: {{initial_backfill: 1d}}
  sagemaker: {{initial_backfill: 2d}}
  invocation_logs: {{prefer: cloudwatch_logs}}
  costs:
    initial_backfill: 3d
    source: [cost_explorer, cur]
    cur: {{bucket: {CUR_BUCKET}, prefix: cur2, export_name: genai}}
alerts:
  default_route: [pager]
  rules: [{{kind: idle_endpoint, for: 1h}}, {{kind: budget_threshold}}, {{kind: idle_vector_store}}]
notifiers:
  pager: {{type: sns, topic_arn: "{TOPIC}"}}
"""

ATHENA = f"""    engine: athena
    athena: {{database: cur, table: genai, output: "s3://{ATHENA_RESULTS}/genai/"}}
"""


def statements() -> list[dict]:
    document = json.loads(POLICY.read_text())
    assert document["Version"] == "2012-10-17"
    return [s for s in document["Statement"] if s["Effect"] == "Allow"]


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allowed(action: str, resource: str) -> bool:
    """Whether an Allow statement covers the action (IAM wildcards, case-insensitive) on the resource."""
    for statement in statements():
        if any(
            fnmatch.fnmatchcase(action.lower(), pattern.lower())
            for pattern in _listed(statement["Action"])
        ):
            if any(
                fnmatch.fnmatchcase(resource, pattern) for pattern in _listed(statement["Resource"])
            ):
                return True
    return False


def iam_action(service: str, operation: str) -> str:
    """The IAM action of a botocore call."""
    action = f"{IAM_PREFIXES.get(service, f'unknown-service-{service}')}:{operation}"
    return IAM_ACTIONS.get(action, action)


@pytest.fixture
def recorded() -> Iterator[list[tuple[str, str, str]]]:
    """Every (IAM action, resource, client) of any botocore call in this process while active."""
    calls: list[tuple[str, str, str]] = []
    original = BaseClient._make_api_call

    def record(self, operation_name, api_params):
        service = self.meta.service_model.service_name
        resource = api_params.get("TopicArn") or api_params.get("RoleArn") or "*"
        if "Bucket" in api_params:
            resource = f"arn:aws:s3:::{api_params['Bucket']}"
            resource += f"/{api_params['Key']}" if "Key" in api_params else ""
        calls.append((iam_action(service, operation_name), resource, service))
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = record
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def seed(aws: str, now: datetime) -> None:
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    put_bedrock_metrics(
        "us-east-1",
        [
            ("a1b2c3d4e5f6", "InputTokenCount", hour, 1000),
            ("a1b2c3d4e5f6", "OutputTokenCount", hour, 100),
        ],
    )
    created = hour - timedelta(hours=20)
    create_sagemaker_endpoint(
        "idle",
        [{"name": "AllTraffic", "instance_type": "ml.m5.large"}],
        created_at=created,
        tags={"team": "search"},
    )
    create_sagemaker_endpoint(
        "batch",
        [{"name": "AllTraffic", "instance_type": "ml.g4dn.xlarge"}],
        created_at=created,
        async_inference={"OutputConfig": {"S3OutputPath": "s3://b/out"}},
    )
    collection = create_collection("kb-store", created_at=created, tags={"team": "search"})
    create_knowledge_base("search-docs", collection["arn"])
    boto3.client("sns", region_name="us-east-1").create_topic(Name="genai-cost-monitor-alerts")
    iam = boto3.client("iam", region_name="us-east-1")
    tags = [{"Key": "team", "Value": "search"}]
    iam.create_role(RoleName="search-api", AssumeRolePolicyDocument="{}", Tags=tags)
    iam.create_user(UserName="bob", Tags=tags)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=CUR_BUCKET)
    line = CurLine(
        hour, ACCOUNT, "AmazonBedrock", "Amazon Bedrock", "USE1-Nova-input-tokens", Decimal("1.5")
    )
    keys = write_export(s3, CUR_BUCKET, "cur2", "genai", f"{hour:%Y-%m}", [line])
    # the Glue table over the export that Athena queries, and Athena's result bucket
    folder = f"s3://{CUR_BUCKET}/{keys[0].rpartition('/')[0]}/"
    register_table(
        "cur", "genai", f"s3://{CUR_BUCKET}/cur2/genai/data/", [(f"{hour:%Y-%m}", folder)]
    )
    s3.create_bucket(Bucket=ATHENA_RESULTS)
    # model invocation logging to both CloudWatch Logs and S3
    boto3.client("bedrock", region_name="us-east-1").put_model_invocation_logging_configuration(
        loggingConfig={
            "cloudWatchConfig": {"logGroupName": LOG_GROUP, "roleArn": f"{ROLE}-logging"},
            "s3Config": {"bucketName": INVOCATION_LOGS, "keyPrefix": "bedrock"},
        }
    )
    calls = [Call(hour + timedelta(minutes=5), f"arn:aws:iam::{ACCOUNT}:user/ann", HAIKU, 10, 2)]
    put_log_events(boto3.client("logs", region_name="us-east-1"), LOG_GROUP, calls)
    s3.create_bucket(Bucket=INVOCATION_LOGS)
    put_object(s3, INVOCATION_LOGS, "bedrock", hour + timedelta(minutes=6), calls)
    month = now.date().replace(day=1)
    discovery = {
        "ResultsByTime": [
            {
                "TimePeriod": {
                    "Start": (month - timedelta(days=31)).isoformat(),
                    "End": (now.date() + timedelta(days=1)).isoformat(),
                },
                "Total": {},
                "Groups": [
                    {
                        "Keys": ["Amazon Bedrock", ACCOUNT],
                        "Metrics": {"UnblendedCost": {"Amount": "500", "Unit": "USD"}},
                    }
                ],
                "Estimated": True,
            }
        ],
        "DimensionValueAttributes": [],
    }
    requests.post(
        f"{aws}/moto-api/static/ce/cost-and-usage-results",
        json={"results": [discovery], "account_id": ACCOUNT},
        timeout=10,
    ).raise_for_status()


def control_plane(now: datetime) -> BedrockControlState:
    """A PT and an ended batch job (its manifest in S3), for the sources moto cannot answer."""
    state = BedrockControlState()
    state.add_provisioned(
        "us-east-1", "pt", "amazon.titan-text-express-v1", 1, now - timedelta(days=2)
    )
    job = state.add_job(
        "us-east-1",
        "nightly",
        "anthropic.claude-3-haiku-20240307-v1:0",
        now - timedelta(hours=3),
        ended=now - timedelta(hours=2),
        records=(10, 10, 0),
    )
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="batch-output")
    s3.put_object(
        Bucket="batch-output",
        Key=f"jobs/{job.rsplit('/', 1)[-1]}/manifest.json.out",
        Body=b'{"inputTokenCount": 1000, "outputTokenCount": 100}',
    )
    return state


def stub_inference_profiles(app: AppContext) -> Stubber:
    """moto has no bedrock:ListInferenceProfiles: the factory's cached bedrock client answers from a stub."""
    client = app.clients.client("bedrock", Target(ACCOUNT, "us-east-1", role_arn=ROLE))
    stubber = Stubber(client)
    summary = {
        "inferenceProfileName": "search-prod",
        "inferenceProfileArn": PROFILE_ARN,
        "inferenceProfileId": "a1b2c3d4e5f6",
        "models": [
            {
                "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"
            }
        ],
        "status": "ACTIVE",
        "type": "APPLICATION",
    }
    stubber.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": [summary]},
        {"typeEquals": "APPLICATION"},
    )
    stubber.add_response(
        "list_tags_for_resource",
        {"tags": [{"key": "team", "value": "search"}]},
        {"resourceARN": PROFILE_ARN},
    )
    stubber.activate()
    return stubber


def test_every_call_of_a_service_cycle_is_allowed_by_the_policy_and_every_grant_is_used(
    aws, tmp_path, recorded, monkeypatch
):
    now = datetime.now(UTC)
    seed(aws, now)
    recorded.clear()
    config_path = tmp_path / "genai-monitor.yaml"
    config_path.write_text(CONFIG)
    app = AppContext(EnvSettings(f"sqlite:///{tmp_path / 'iam.db'}", config_path, True))
    stubber = stub_inference_profiles(app)
    service = Service(app)
    # every registered source: a new one must bring its policy lines with it
    state = control_plane(now)
    recorded.clear()
    # the stub answers the bedrock source's profile calls; the stand-in the other Bedrock sources'
    outcomes = {"bedrock": service.collect("bedrock")}
    stubber.deactivate()
    with bedrock_control_plane(state):
        outcomes |= {name: service.collect(name) for name in service.sources if name != "bedrock"}
    # the invocation logs read above from CloudWatch Logs (preferred); now from S3 (a fresh
    # database: this cycle's claim on the target is taken)
    s3_config = tmp_path / "s3-logs.yaml"
    s3_config.write_text(CONFIG.replace("prefer: cloudwatch_logs", "prefer: s3"))
    on_s3 = AppContext(
        EnvSettings(f"sqlite:///{tmp_path / 's3-logs.db'}", s3_config, True), app.clients
    )
    outcomes["invocation_logs on s3"] = Service(on_s3).collect("invocation_logs")
    on_s3.engine.dispose()
    outcomes["alerts"] = service.evaluate_alerts()
    # what `genai-monitor budgets --aws-forecast` asks (moto lacks the operation: it is still called)
    aws_forecaster(app)(ForecastScope(("search",), (ACCOUNT,), ("Amazon Bedrock",)), now.date())
    # what the invocation-log collector and `attribution explain --refresh-tags` ask
    callers = [
        f"arn:aws:sts::{ACCOUNT}:assumed-role/search-api/s",
        f"arn:aws:iam::{ACCOUNT}:user/bob",
    ]
    with app.database()() as session, session.begin():
        found = principal_tag_lookup(
            session, app.clients, Target(ACCOUNT, "us-east-1", role_arn=ROLE), callers, now
        )
    assert [found.tags(caller) for caller in callers] == [{"team": "search"}] * 2
    # what `genai-monitor prices refresh` asks (moto lacks the Price List: its stand-in answers)
    with price_list_server() as (url, _state):
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", url)
        assert refresh_prices(app).points > 0
    app.engine.dispose()
    # the cur source on Athena (`collection.costs.engine: athena`; moto's Athena answers canned
    # results, so our stand-in runs the query, making Glue and S3 calls on the caller's behalf)
    athena_config = tmp_path / "athena.yaml"
    athena_config.write_text(
        CONFIG.replace("export_name: genai}\n", "export_name: genai}\n" + ATHENA)
    )
    on_athena = AppContext(
        EnvSettings(f"sqlite:///{tmp_path / 'athena.db'}", athena_config, True), app.clients
    )
    with athena_server() as (url, athena):
        monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", url)
        outcomes["cur on athena"] = Service(on_athena).collect("cur")
        # a query that outlives collection.costs.athena.timeout is stopped
        output = f"s3://{ATHENA_RESULTS}/genai/"
        place = AthenaPlace("primary", "cur", "genai", output, timeout=timedelta(0))
        target = Target(ACCOUNT, "us-east-1", role_arn=ROLE)
        with pytest.raises(AthenaQueryFailed, match="it was stopped"):
            next(AthenaEngine(app.clients, target, place).rows("SELECT 1"))
    on_athena.engine.dispose()
    on_behalf = {iam_action(*key.split(":")) for key in athena.catalog.clients.counter.snapshot()}

    assert outcomes == {
        "bedrock": "succeeded",
        "sagemaker": "succeeded",
        "costs": "succeeded",
        "vector_stores": "succeeded",
        "cur": "succeeded",
        "provisioned_throughput": "succeeded",
        "custom_models": "succeeded",
        "batch_jobs": "succeeded",
        "invocation_logs": "succeeded",
        "invocation_logs on s3": "succeeded",
        "alerts": "succeeded",
        "cur on athena": "succeeded",
    }
    stubber.assert_no_pending_responses()
    actions = {action for action, _resource, _client in recorded}
    # the cycle did reach every part of the product that calls AWS
    assert {
        "sts:AssumeRole",
        "cloudwatch:ListMetrics",
        "cloudwatch:GetMetricData",
        "bedrock:ListInferenceProfiles",
        "bedrock:ListTagsForResource",
        "sagemaker:ListEndpoints",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "application-autoscaling:DescribeScalableTargets",
        "ce:GetCostAndUsage",
        "ce:GetCostForecast",
        "sns:Publish",
        "pricing:GetProducts",
        "aoss:ListCollections",
        "aoss:BatchGetCollection",
        "aoss:ListTagsForResource",
        "bedrock:ListKnowledgeBases",
        "bedrock:GetKnowledgeBase",
        "s3:ListBucket",
        "s3:GetObject",
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetPartitions",
        "s3:GetBucketLocation",
        "s3:PutObject",
        "bedrock:ListProvisionedModelThroughputs",
        "bedrock:ListCustomModels",
        "bedrock:ListImportedModels",
        "bedrock:ListCustomModelDeployments",
        "bedrock:ListModelInvocationJobs",
        "iam:ListRoleTags",
        "iam:ListUserTags",
        "bedrock:GetModelInvocationLoggingConfiguration",
        "logs:FilterLogEvents",
    } <= actions, sorted(actions)
    # the invocation-log objects were listed and read (under the policy's log path)
    assert any(
        action == "s3:GetObject" and resource.startswith(f"arn:aws:s3:::{INVOCATION_LOGS}/")
        for action, resource, _client in recorded
    )
    denied = sorted(
        {
            (action, resource)
            for action, resource, _client in recorded
            if action not in ALWAYS_ALLOWED and not allowed(action, resource)
        }
    )
    assert not denied, f"the policy does not allow: {denied}"
    # the factory's own call counter saw the same operations (no client was made behind its back),
    # except the stubbed ones (a stub answers before the counter's hook runs) and those Athena
    # makes on the caller's behalf (its stand-in counts them with its own factory)
    counted = {iam_action(*key.split(":")) for key in app.clients.counter.snapshot()}
    assert actions - counted - on_behalf == {"bedrock:ListInferenceProfiles"}
    assert {"glue:GetTable", "s3:PutObject"} <= on_behalf - counted
    assert counted <= actions
    # least privilege: every granted action pattern is exercised
    for statement in statements():
        for pattern in _listed(statement["Action"]):
            assert any(
                fnmatch.fnmatchcase(action.lower(), pattern.lower()) for action in actions
            ), f"{pattern} is granted but never called"


def test_the_policy_matcher_honours_wildcards_and_resources():
    assert allowed("sagemaker:ListEndpoints", "*") and allowed(
        "sagemaker:DescribeEndpointConfig", "*"
    )
    assert not allowed("sagemaker:DeleteEndpoint", "*") and not allowed("ce:CreateBudget", "*")
    assert allowed("sns:Publish", TOPIC) and not allowed(
        "sns:Publish", f"arn:aws:sns:us-east-1:{ACCOUNT}:someone-elses-topic"
    )
    assert allowed("sts:AssumeRole", ROLE) and not allowed(
        "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/Admin"
    )
