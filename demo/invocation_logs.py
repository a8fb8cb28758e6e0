"""Bedrock model invocation logs in the real AWS format, for the tests, the benchmark and the demo.

A record is one JSON line as Bedrock writes it (``schemaType: ModelInvocationLog``): the
metadata (timestamp, accountId, identity.arn, region, requestId, operation, modelId, token
counts in ``input``/``output``, ``requestMetadata``) around the prompt and completion bodies
(``inputBodyJson``/``outputBodyJson``), which the monitor must never store. S3 delivery writes
gzip'd JSON lines under ``<keyPrefix>/AWSLogs/<account>/BedrockModelInvocationLogs/<region>/
YYYY/MM/DD/HH/``; CloudWatch Logs delivery writes one record per log event.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ACCOUNT = "123456789012"
LOG_STREAM = "aws/bedrock/modelinvocations"


@dataclass(frozen=True)
class Call:
    """One logged call: who, what, when, how many tokens, and the text it carried."""

    at: datetime
    principal: str
    model_id: str
    input_tokens: int
    output_tokens: int
    operation: str = "Converse"  # or InvokeModel, ConverseStream, InvokeModelWithResponseStream
    cache_read: int | None = None
    cache_write: int | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    prompt: str = "Summarise the attached quarterly report."
    completion: str = "The report shows steady growth."
    account: str = ACCOUNT
    region: str = "us-east-1"


def _request_id(call: Call) -> str:
    seed = f"{call.at.isoformat()}|{call.principal}|{call.model_id}|{call.prompt}"
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _bodies(call: Call) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request and response bodies in the operation's shape."""
    request: dict[str, Any]
    response: dict[str, Any]
    if call.operation.startswith("Converse"):
        request = {"messages": [{"role": "user", "content": [{"text": call.prompt}]}]}
        response = {
            "output": {"message": {"role": "assistant", "content": [{"text": call.completion}]}},
            "stopReason": "end_turn",
            "metrics": {"latencyMs": 812},
            "usage": {
                "inputTokens": call.input_tokens,
                "outputTokens": call.output_tokens,
                "totalTokens": call.input_tokens + call.output_tokens,
            },
        }
        return request, response
    # InvokeModel: the model's native body (Anthropic Messages shape)
    request = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": call.prompt}],
    }
    response = {
        "id": "msg_bdrk_01",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": call.completion}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": call.input_tokens, "output_tokens": call.output_tokens},
    }
    return request, response


def record(call: Call) -> dict[str, Any]:
    """The invocation-log record of one call, as Bedrock writes it."""
    request, response = _bodies(call)
    logged_input: dict[str, Any] = {
        "inputContentType": "application/json",
        "inputBodyJson": request,
        "inputTokenCount": call.input_tokens,
    }
    if call.cache_read is not None:
        logged_input["cacheReadInputTokenCount"] = call.cache_read
    if call.cache_write is not None:
        logged_input["cacheWriteInputTokenCount"] = call.cache_write
    entry: dict[str, Any] = {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": call.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accountId": call.account,
        "identity": {"arn": call.principal},
        "region": call.region,
        "requestId": _request_id(call),
        "operation": call.operation,
        "modelId": call.model_id,
        "input": logged_input,
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": response,
            "outputTokenCount": call.output_tokens,
        },
    }
    if call.metadata:
        entry["requestMetadata"] = dict(call.metadata)
    return entry


def line(call: Call) -> bytes:
    """One record as the JSON line S3 delivery writes."""
    return json.dumps(record(call), separators=(",", ":")).encode() + b"\n"


def gzip_lines(lines: Iterable[bytes]) -> bytes:
    """Lines gzip'd as one delivered object."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as writer:
        for item in lines:
            writer.write(item)
    return buffer.getvalue()


def folder(prefix: str, account: str, region: str, hour: datetime) -> str:
    """The key folder Bedrock delivers one hour's objects of one account/region to."""
    base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return f"{base}AWSLogs/{account}/BedrockModelInvocationLogs/{region}/{hour:%Y/%m/%d/%H}/"


def object_key(prefix: str, account: str, region: str, delivered: datetime, name: str) -> str:
    """An object's key: its hour folder, then ``<delivery time>_<name>.json.gz``."""
    return f"{folder(prefix, account, region, delivered)}{delivered:%Y%m%dT%H%MZ}_{name}.json.gz"


def put_object(
    s3: Any, bucket: str, prefix: str, delivered: datetime, calls: list[Call], name: str = "0"
) -> str:
    """Deliver calls as one gzip'd S3 object (account and region of the first call)."""
    first = calls[0]
    key = object_key(prefix, first.account, first.region, delivered, name)
    s3.put_object(Bucket=bucket, Key=key, Body=gzip_lines(line(call) for call in calls))
    return key


def enable_s3_logging(bedrock: Any, bucket: str, prefix: str = "") -> None:
    """Turn model invocation logging on, delivering to S3."""
    config: dict[str, Any] = {"bucketName": bucket}
    if prefix:
        config["keyPrefix"] = prefix
    bedrock.put_model_invocation_logging_configuration(
        loggingConfig={"s3Config": config, "textDataDeliveryEnabled": True}
    )


def enable_cloudwatch_logging(bedrock: Any, group: str, role_arn: str) -> None:
    """Turn model invocation logging on, delivering to a CloudWatch Logs group."""
    bedrock.put_model_invocation_logging_configuration(
        loggingConfig={
            "cloudWatchConfig": {"logGroupName": group, "roleArn": role_arn},
            "textDataDeliveryEnabled": True,
        }
    )


def put_log_events(logs: Any, group: str, calls: list[Call]) -> None:
    """Deliver calls as CloudWatch Logs events (one record each) to the group's stream."""
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=LOG_STREAM)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    events = [
        {"timestamp": int(call.at.timestamp() * 1000), "message": line(call).decode().rstrip()}
        for call in sorted(calls, key=lambda item: item.at)
    ]
    for start in range(0, len(events), 5000):
        logs.put_log_events(
            logGroupName=group, logStreamName=LOG_STREAM, logEvents=events[start : start + 5000]
        )
