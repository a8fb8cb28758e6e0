"""A stand-in for the Bedrock control plane calls moto lacks, answered in AWS's restJson shape.

moto serves custom models (ListCustomModels) and their tags; it lacks Provisioned Throughput
(GET /provisioned-model-throughputs), imported models (GET /imported-models), custom model
deployments (GET /model-customization/custom-model-deployments) and batch inference jobs
(GET /model-invocation-jobs). While ``bedrock_control_plane(state)`` is active, the in-process
moto server answers those from ``state`` (paged by ``nextToken``, times in ISO 8601), answers
ListTagsForResource for the state's resources, and answers AccessDeniedException in the state's
denied regions. ``add_*`` build entries in the shape AWS lists them. Provisioned Throughput can
also be read, created and deleted (Get/Create/DeleteProvisionedModelThroughput), as the actions
do; a created one gets a new ARN, as on AWS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACCOUNT = "123456789012"

# operation -> (the state's collection, the answer's list key)
LISTS = {
    "list_provisioned_model_throughputs": ("provisioned", "provisionedModelSummaries"),
    "list_imported_models": ("imported", "modelSummaries"),
    "list_custom_model_deployments": ("deployments", "modelDeploymentSummaries"),
    "list_model_invocation_jobs": ("jobs", "invocationJobSummaries"),
}


def _digest(name: str, length: int) -> str:
    """A stable resource id for a name (AWS's ids are random; the demo's are reproducible)."""
    return hashlib.sha256(name.encode()).hexdigest()[:length]


def iso(moment: datetime | None) -> str | None:
    """A time as AWS's JSON answers write it."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


@dataclass
class BedrockControlState:
    """What the stand-in lists, per region, and the tags of its resources by ARN."""

    provisioned: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    imported: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deployments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    denied_regions: set[str] = field(default_factory=set)
    page_size: int = 100

    def _add(
        self, kind: str, region: str, entry: dict[str, Any], tags: dict[str, str] | None, arn: str
    ) -> str:
        getattr(self, kind).setdefault(region, []).append(
            {k: v for k, v in entry.items() if v is not None}
        )
        self.tags[arn] = dict(tags or {})
        return arn

    def add_provisioned(
        self,
        region: str,
        name: str,
        model_id: str,
        units: int,
        created: datetime,
        *,
        commitment: str | None = None,
        expires: datetime | None = None,
        tags: dict[str, str] | None = None,
        status: str = "InService",
        account: str = ACCOUNT,
    ) -> str:
        """A Provisioned Throughput on a foundation model; returns its ARN."""
        arn = f"arn:aws:bedrock:{region}:{account}:provisioned-model/{_digest(name, 12)}"
        model_arn = f"arn:aws:bedrock:{region}::foundation-model/{model_id}"
        entry = {
            "provisionedModelName": name,
            "provisionedModelArn": arn,
            "modelArn": model_arn,
            "desiredModelArn": model_arn,
            "foundationModelArn": model_arn,
            "modelUnits": units,
            "desiredModelUnits": units,
            "status": status,
            "commitmentDuration": commitment,
            "commitmentExpirationTime": iso(expires),
            "creationTime": iso(created),
            "lastModifiedTime": iso(created),
        }
        return self._add("provisioned", region, entry, tags, arn)

    def remove_provisioned(self, region: str, arn: str) -> None:
        """Delete a PT (its tags go with it)."""
        self.provisioned[region] = [
            e for e in self.provisioned.get(region, []) if e["provisionedModelArn"] != arn
        ]
        self.tags.pop(arn, None)

    def find_provisioned(self, region: str, identifier: str) -> dict[str, Any] | None:
        """The PT of that ARN or name in ``region``, None if there is none."""
        for entry in self.provisioned.get(region, []):
            if identifier in (entry["provisionedModelArn"], entry["provisionedModelName"]):
                return entry
        return None

    def create_provisioned(
        self,
        region: str,
        name: str,
        model_arn: str,
        units: int,
        created: datetime,
        *,
        tags: dict[str, str] | None = None,
        account: str = ACCOUNT,
    ) -> str:
        """A no-commitment PT as CreateProvisionedModelThroughput makes it (a fresh ARN); its ARN."""
        arn = f"arn:aws:bedrock:{region}:{account}:provisioned-model/{_digest(f'{name}@{iso(created)}', 12)}"
        entry = {
            "provisionedModelName": name,
            "provisionedModelArn": arn,
            "modelArn": model_arn,
            "desiredModelArn": model_arn,
            "foundationModelArn": model_arn,
            "modelUnits": units,
            "desiredModelUnits": units,
            "status": "InService",
            "creationTime": iso(created),
            "lastModifiedTime": iso(created),
        }
        return self._add("provisioned", region, entry, tags, arn)

    def add_imported(
        self,
        region: str,
        name: str,
        created: datetime,
        *,
        tags: dict[str, str] | None = None,
        account: str = ACCOUNT,
    ) -> str:
        """An imported model (Custom Model Import); returns its ARN."""
        arn = f"arn:aws:bedrock:{region}:{account}:imported-model/{name}"
        entry = {
            "modelArn": arn,
            "modelName": name,
            "creationTime": iso(created),
            "instructSupported": True,
            "modelArchitecture": "llama3",
        }
        return self._add("imported", region, entry, tags, arn)

    def add_deployment(
        self,
        region: str,
        name: str,
        model_arn: str,
        created: datetime,
        *,
        tags: dict[str, str] | None = None,
        account: str = ACCOUNT,
    ) -> str:
        """An on-demand deployment of a custom model; returns its ARN."""
        arn = f"arn:aws:bedrock:{region}:{account}:custom-model-deployment/{name}"
        entry = {
            "customModelDeploymentArn": arn,
            "customModelDeploymentName": name,
            "modelArn": model_arn,
            "createdAt": iso(created),
            "status": "Active",
            "lastUpdatedAt": iso(created),
        }
        return self._add("deployments", region, entry, tags, arn)

    def add_job(
        self,
        region: str,
        name: str,
        model_id: str,
        submitted: datetime,
        *,
        status: str = "Completed",
        ended: datetime | None = None,
        records: tuple[int, int, int] | None = None,
        output_uri: str = "s3://batch-output/jobs/",
        tags: dict[str, str] | None = None,
        account: str = ACCOUNT,
    ) -> str:
        """A batch inference job; ``records`` is (total, succeeded, failed). Returns its ARN."""
        job_id = _digest(name, 12)
        arn = f"arn:aws:bedrock:{region}:{account}:model-invocation-job/{job_id}"
        total, success, errors = records if records is not None else (None, None, None)
        processed = None if success is None or errors is None else success + errors
        entry = {
            "jobArn": arn,
            "jobName": name,
            "modelId": model_id,
            "roleArn": f"arn:aws:iam::{account}:role/BedrockBatch",
            "status": status,
            "submitTime": iso(submitted),
            "lastModifiedTime": iso(ended or submitted),
            "endTime": iso(ended),
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://batch-input/records.jsonl"}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": output_uri}},
            "timeoutDurationInHours": 24,
            "totalRecordCount": total,
            "processedRecordCount": processed,
            "successRecordCount": success,
            "errorRecordCount": errors,
        }
        return self._add("jobs", region, entry, tags, arn)


def _denied(region: str) -> tuple[str, dict[str, Any]]:
    body = json.dumps({"message": f"User is not authorized to perform this action in {region}"})
    return body, {"status": 403, "x-amzn-errortype": "AccessDeniedException"}


def _within(entry: dict[str, Any], params: dict[str, Any]) -> bool:
    """The submit-time filters of ListModelInvocationJobs."""
    submitted = entry.get("submitTime")
    after, before = params.get("submitTimeAfter"), params.get("submitTimeBefore")
    if submitted is None:
        return True
    moment = datetime.fromisoformat(submitted.replace("Z", "+00:00"))
    # moto's request parser hands the filters back naive (in UTC)
    after, before = (
        None if value is None else value if value.tzinfo else value.replace(tzinfo=UTC)
        for value in (after, before)
    )
    return (after is None or moment > after) and (before is None or moment < before)


def answer_list(
    state: BedrockControlState, operation: str, region: str, params: dict[str, Any]
) -> dict[str, Any]:
    """One page of a List operation (pure)."""
    collection, key = LISTS[operation]
    entries = [e for e in getattr(state, collection).get(region, []) if _within(e, params)]
    if params.get("nameContains"):
        # ListProvisionedModelThroughputs' name filter
        entries = [
            e for e in entries if params["nameContains"] in e.get("provisionedModelName", "")
        ]
    start = int(params.get("nextToken") or 0)
    size = int(params.get("maxResults") or state.page_size)
    page: dict[str, Any] = {key: entries[start : start + size]}
    if start + size < len(entries):
        page["nextToken"] = str(start + size)
    return page


def _not_found(identifier: str) -> tuple[str, dict[str, Any]]:
    body = json.dumps({"message": f"Provisioned model {identifier} not found"})
    return body, {"status": 404, "x-amzn-errortype": "ResourceNotFoundException"}


def provisioned_handlers(state: BedrockControlState) -> dict[str, Any]:
    """moto handlers of Get/Create/DeleteProvisionedModelThroughput answering from ``state``."""
    from urllib.parse import unquote

    def identifier(self: Any) -> str:
        return unquote(self.path.rstrip("/").rpartition("/")[2])

    def get(self: Any) -> Any:
        if self.region in state.denied_regions:
            return _denied(self.region)
        entry = state.find_provisioned(self.region, identifier(self))
        return json.dumps(entry) if entry is not None else _not_found(identifier(self))

    def delete(self: Any) -> Any:
        if self.region in state.denied_regions:
            return _denied(self.region)
        entry = state.find_provisioned(self.region, identifier(self))
        if entry is None:
            return _not_found(identifier(self))
        state.remove_provisioned(self.region, entry["provisionedModelArn"])
        return "{}"

    def create(self: Any) -> Any:
        if self.region in state.denied_regions:
            return _denied(self.region)
        body = json.loads(self.body)
        name = body["provisionedModelName"]
        if state.find_provisioned(self.region, name) is not None:
            message = json.dumps({"message": f"Provisioned model {name} already exists"})
            return message, {"status": 409, "x-amzn-errortype": "ResourceInUseException"}
        model = body["modelId"]
        if not model.startswith("arn:"):
            model = f"arn:aws:bedrock:{self.region}::foundation-model/{model}"
        tags = {tag["key"]: tag["value"] for tag in body.get("tags", [])}
        arn = state.create_provisioned(
            self.region,
            name,
            model,
            int(body["modelUnits"]),
            datetime.now(UTC),
            tags=tags,
            account=self.current_account,
        )
        return 201, {}, json.dumps({"provisionedModelArn": arn})

    return {
        "get_provisioned_model_throughput": get,
        "delete_provisioned_model_throughput": delete,
        "create_provisioned_model_throughput": create,
    }


@contextmanager
def bedrock_control_plane(state: BedrockControlState) -> Iterator[BedrockControlState]:
    """Make the in-process moto Bedrock answer the state's List calls and tags while active."""
    from moto.bedrock.responses import BedrockResponse

    saved = {
        name: BedrockResponse.__dict__.get(name)
        for name in [*LISTS, "list_tags_for_resource", "list_custom_models"]
    }

    def lister(operation: str) -> Any:
        def handler(self: Any) -> Any:
            if self.region in state.denied_regions:
                return _denied(self.region)
            self.parse_parameters(self.normalized_request)
            return json.dumps(answer_list(state, operation, self.region, dict(self.params)))

        return handler

    def list_tags_for_resource(self: Any) -> Any:
        arn = json.loads(self.body).get("resourceARN")
        if self.region in state.denied_regions:
            return _denied(self.region)
        if arn in state.tags:
            return json.dumps(
                {"tags": [{"key": k, "value": v} for k, v in sorted(state.tags[arn].items())]}
            )
        return saved["list_tags_for_resource"](self)  # type: ignore[misc]

    def list_custom_models(self: Any) -> Any:
        if self.region in state.denied_regions:
            return _denied(self.region)
        return saved["list_custom_models"](self)  # type: ignore[misc]

    for operation, handler in provisioned_handlers(state).items():
        saved.setdefault(operation, BedrockResponse.__dict__.get(operation))
        setattr(BedrockResponse, operation, handler)
    for operation in LISTS:
        setattr(BedrockResponse, operation, lister(operation))
    BedrockResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]
    BedrockResponse.list_custom_models = list_custom_models  # type: ignore[method-assign]
    try:
        yield state
    finally:
        for name, original in saved.items():
            if original is None:
                delattr(BedrockResponse, name)
            else:
                setattr(BedrockResponse, name, original)


def create_custom_model(
    clients: Any,
    region: str,
    name: str,
    base_model_id: str,
    created: datetime,
    *,
    tags: dict[str, str] | None = None,
    account: str = ACCOUNT,
) -> str:
    """A fine-tuned model, through moto's CreateModelCustomizationJob, back-dated to ``created``
    (moto stamps it with the wall clock); returns its ARN."""
    from moto.bedrock.models import bedrock_backends

    from core.aws import Target

    bedrock = clients("bedrock", Target(account, region))
    bedrock.create_model_customization_job(
        jobName=f"{name}-job",
        customModelName=name,
        roleArn=f"arn:aws:iam::{account}:role/BedrockCustomization",
        baseModelIdentifier=base_model_id,
        trainingDataConfig={"s3Uri": "s3://training/data.jsonl"},
        outputDataConfig={"s3Uri": "s3://training/output/"},
        hyperParameters={"epochCount": "1"},
        customModelTags=[{"key": k, "value": v} for k, v in sorted((tags or {}).items())],
    )
    model = bedrock_backends[account][region].custom_models[name]
    model.creation_time = created.isoformat().replace("+00:00", "Z")
    arn: str = model.model_arn
    return arn
