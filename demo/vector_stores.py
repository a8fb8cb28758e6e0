"""Vector stores in the AWS stand-in: OpenSearch Serverless collections (moto), back-dated with
``aoss_clock``, the Bedrock knowledge bases that use them (moto's bedrock-agent), and their
AWS/AOSS metrics as AWS publishes them (PutMetricData into moto's CloudWatch).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from core.aws import ClientFactory, Target
from demo.seed import put_metrics
from demo.world import ACCOUNT

NAMESPACE = "AWS/AOSS"


@contextmanager
def aoss_clock(moment: datetime) -> Iterator[None]:
    """Make the in-process moto OpenSearch Serverless stamp new collections with ``moment``."""
    import moto.opensearchserverless.models as aoss_models

    original = aoss_models.unix_time  # type: ignore[attr-defined]
    aoss_models.unix_time = lambda *_args: moment.timestamp()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        aoss_models.unix_time = original  # type: ignore[attr-defined]


def _client(service: str, region: str, clients: ClientFactory | None) -> Any:
    return (clients or ClientFactory())(service, Target(ACCOUNT, region))


def create_collection(
    name: str,
    *,
    created_at: datetime,
    region: str = "us-east-1",
    tags: dict[str, str] | None = None,
    clients: ClientFactory | None = None,
) -> dict[str, Any]:
    """An encryption policy and a VECTORSEARCH collection created at ``created_at``; returns
    CreateCollection's detail (id, arn, name, ...)."""
    aoss = _client("opensearchserverless", region, clients)
    policy = {"Rules": [{"ResourceType": "collection", "Resource": [f"collection/{name}"]}]}
    # a customer managed key: moto requires the KmsARN form of the policy
    policy["KmsARN"] = f"arn:aws:kms:{region}:{ACCOUNT}:key/demo-vector-stores"  # type: ignore[assignment]
    aoss.create_security_policy(
        name=f"{name}-encryption"[:32], type="encryption", policy=json.dumps(policy)
    )
    with aoss_clock(created_at):
        detail = aoss.create_collection(
            name=name,
            type="VECTORSEARCH",
            tags=[{"key": key, "value": value} for key, value in (tags or {}).items()],
        )["createCollectionDetail"]
    return dict(detail)


def delete_collection(collection_id: str, region: str = "us-east-1") -> None:
    """Delete a collection from the stand-in."""
    _client("opensearchserverless", region, None).delete_collection(id=collection_id)


def create_knowledge_base(
    name: str,
    collection_arn: str,
    *,
    region: str = "us-east-1",
    clients: ClientFactory | None = None,
) -> dict[str, Any]:
    """A vector knowledge base stored in the collection; returns its CreateKnowledgeBase answer."""
    agent = _client("bedrock-agent", region, clients)
    answer = agent.create_knowledge_base(
        name=name,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/BedrockKnowledgeBase",
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-embed-text-v2:0"
            },
        },
        storageConfiguration={
            "type": "OPENSEARCH_SERVERLESS",
            "opensearchServerlessConfiguration": {
                "collectionArn": collection_arn,
                "vectorIndexName": f"{name}-index",
                "fieldMapping": {
                    "vectorField": "embedding",
                    "textField": "text",
                    "metadataField": "metadata",
                },
            },
        },
    )
    return dict(answer["knowledgeBase"])


def put_ocu_metrics(
    region: str,
    points: Iterable[tuple[str, datetime, float]],
    clients: ClientFactory | None = None,
) -> int:
    """Put (metric SearchOCU/IndexingOCU, timestamp, OCUs) account-level datapoints."""
    data = (
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "ClientId", "Value": ACCOUNT}],
            "Timestamp": at,
            "Value": value,
        }
        for metric, at, value in points
    )
    return put_metrics(_client("cloudwatch", region, clients), NAMESPACE, data)


def put_collection_requests(
    region: str,
    collection: dict[str, Any],
    points: Iterable[tuple[str, datetime, float]],
    clients: ClientFactory | None = None,
) -> int:
    """Put (metric SearchRequestRate/IngestionRequestRate, timestamp, requests) per-collection
    datapoints, with the dimensions AWS/AOSS publishes them under."""
    dimensions = [
        {"Name": "ClientId", "Value": ACCOUNT},
        {"Name": "CollectionId", "Value": collection["id"]},
        {"Name": "CollectionName", "Value": collection["name"]},
    ]
    data = (
        {"MetricName": metric, "Dimensions": dimensions, "Timestamp": at, "Value": value}
        for metric, at, value in points
    )
    return put_metrics(_client("cloudwatch", region, clients), NAMESPACE, data)
