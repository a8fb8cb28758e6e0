"""Vector stores inventory: OpenSearch Serverless collections and the knowledge bases using them.

get (``read_inventory``: ListCollections, BatchGetCollection per 100 ids, ListTagsForResource per
collection; bedrock-agent ListKnowledgeBases and GetKnowledgeBase per knowledge base, whose
storage configuration names its collection) -> transform (pure: ``collection_lives``,
``reconcile``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from core.aws import AwsDenied, AwsError, AwsTransient, Target, pages, translated_errors
from core.models_vector import VectorStore
from core.settings import UNATTRIBUTED, AttributionConfig
from core.timeutil import as_utc

log = logging.getLogger(__name__)

BATCH_GET_LIMIT = 100  # BatchGetCollection takes at most 100 ids
# botocore's answer when a service has no endpoint in a region (it is not offered there)
NOT_OFFERED = frozenset({"EndpointConnectionError", "UnknownEndpoint"})


@dataclass
class Inventory:
    """What the APIs answered for one target, as they answered it."""

    collections: list[dict[str, Any]] = field(default_factory=list)  # BatchGetCollection details
    tags: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # by collection ARN
    knowledge_bases: list[dict[str, Any]] = field(default_factory=list)  # GetKnowledgeBase answers


def _offered(exc: AwsTransient, target: Target, service: str) -> AwsError:
    """A connection failure to a service that has no endpoint in the region is a denial (skip the
    target with a warning), anything else stays transient."""
    if exc.code in NOT_OFFERED:
        return AwsDenied(
            "denied", service, exc.operation, exc.code, f"not offered in {target.region}"
        )
    return exc


def read_collections(aoss: Any, target: Target) -> Inventory:
    """Every collection's details and tags (raises AwsDenied where the service is not offered)."""
    inventory = Inventory()
    try:
        ids = [
            summary["id"]
            for page in pages(aoss, "list_collections", token_param="nextToken")
            for summary in page.get("collectionSummaries", [])
        ]
        for first in range(0, len(ids), BATCH_GET_LIMIT):
            with translated_errors("opensearchserverless", "BatchGetCollection"):
                answer = aoss.batch_get_collection(ids=ids[first : first + BATCH_GET_LIMIT])
            inventory.collections.extend(answer.get("collectionDetails", []))
        for detail in inventory.collections:
            with translated_errors("opensearchserverless", "ListTagsForResource"):
                answer = aoss.list_tags_for_resource(resourceArn=detail["arn"])
            inventory.tags[detail["arn"]] = list(answer.get("tags", []))
    except AwsTransient as exc:
        raise _offered(exc, target, "opensearchserverless") from exc
    return inventory


def read_knowledge_bases(agent: Any, target: Target) -> list[dict[str, Any]]:
    """Every knowledge base's GetKnowledgeBase answer; none (with a warning) where bedrock-agent
    is denied or not offered: the collections are still collected."""
    found = []
    try:
        for page in pages(agent, "list_knowledge_bases", token_param="nextToken"):
            for summary in page.get("knowledgeBaseSummaries", []):
                with translated_errors("bedrock-agent", "GetKnowledgeBase"):
                    answer = agent.get_knowledge_base(knowledgeBaseId=summary["knowledgeBaseId"])
                found.append(answer.get("knowledgeBase", {}))
    except (AwsDenied, AwsTransient) as exc:
        error = _offered(exc, target, "bedrock-agent") if isinstance(exc, AwsTransient) else exc
        if not isinstance(error, AwsDenied):
            raise error from exc
        log.warning(
            "%s: knowledge bases unavailable (%s); collections without them", target.label, error
        )
        return []
    return found


def read_inventory(aoss: Any, agent: Any, target: Target) -> Inventory:
    """The target's collections with their tags, and its knowledge bases."""
    inventory = read_collections(aoss, target)
    inventory.knowledge_bases = read_knowledge_bases(agent, target)
    return inventory


@dataclass(frozen=True)
class CollectionLife:
    """One collection as the ``vector_stores`` table stores it (without the surrogate id)."""

    account_id: str
    region: str
    collection_id: str
    arn: str
    name: str
    collection_type: str | None
    status: str
    standby_replicas: str | None
    created_at: datetime
    deleted_at: datetime | None
    last_seen_at: datetime
    team: str
    tags: dict[str, str]
    knowledge_bases: list[dict[str, Any]]

    @property
    def key(self) -> tuple[str, str, str]:
        """The natural key: account, region, collection id."""
        return (self.account_id, self.region, self.collection_id)

    def row(self) -> dict[str, Any]:
        """The ``vector_stores`` row."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_model(cls, model: VectorStore) -> CollectionLife:
        """A stored collection."""
        return cls(**{name: getattr(model, name) for name in _FIELDS})


_FIELDS = tuple(CollectionLife.__dataclass_fields__)


def _millis(value: Any) -> datetime:
    """The API's epoch milliseconds (or a datetime) as UTC."""
    if isinstance(value, datetime):
        return as_utc(value)
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def knowledge_bases_by_collection(
    answers: Iterable[Mapping[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Collection ARN -> the knowledge bases whose storage is that collection (pure)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for kb in answers:
        storage = (kb.get("storageConfiguration") or {}).get("opensearchServerlessConfiguration")
        arn = (storage or {}).get("collectionArn")
        if arn:
            found.setdefault(arn, []).append(
                {
                    "id": kb.get("knowledgeBaseId"),
                    "name": kb.get("name"),
                    "arn": kb.get("knowledgeBaseArn"),
                    "status": kb.get("status"),
                }
            )
    return {arn: sorted(kbs, key=lambda kb: str(kb["name"])) for arn, kbs in found.items()}


def collection_lives(
    inventory: Inventory, *, target: Target, attribution: AttributionConfig, seen_at: datetime
) -> list[CollectionLife]:
    """The listed collections as rows: team from the tag, else the account's, else unattributed."""
    kbs = knowledge_bases_by_collection(inventory.knowledge_bases)
    lives = []
    for detail in inventory.collections:
        tags = {tag["key"]: tag["value"] for tag in inventory.tags.get(detail["arn"], [])}
        team = (tags.get(attribution.tag_key) or "").strip() or target.default_team or UNATTRIBUTED
        lives.append(
            CollectionLife(
                account_id=target.account_id,
                region=target.region,
                collection_id=detail["id"],
                arn=detail["arn"],
                name=detail["name"],
                collection_type=detail.get("type"),
                status=detail.get("status", "UNKNOWN"),
                standby_replicas=detail.get("standbyReplicas"),
                created_at=_millis(detail["createdDate"]),
                deleted_at=None,
                last_seen_at=seen_at,
                team=team,
                tags=dict(sorted(tags.items())),
                knowledge_bases=kbs.get(detail["arn"], []),
            )
        )
    return lives


def reconcile(
    listed: Sequence[CollectionLife], stored: Sequence[CollectionLife], snapshot_at: datetime
) -> list[CollectionLife]:
    """The listed collections, plus the stored ones gone from the listing, marked deleted at the
    snapshot (the first look that no longer saw them) unless already marked."""
    listed_keys = {life.key for life in listed}
    gone = [
        life if life.deleted_at is not None else replace(life, deleted_at=snapshot_at)
        for life in stored
        if life.key not in listed_keys
    ]
    return sorted([*listed, *gone], key=lambda life: life.key)
