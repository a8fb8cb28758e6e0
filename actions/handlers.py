"""What the engine asks of each resource kind's handler (registered in ``registry.actions``), the
resource as the database knows it, and the AWS calls an action makes, with their request ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.orm import Session

from core.aws import ClientFactory, Target, translated_errors
from core.timeutil import as_utc


class Refused(Exception):
    """The action may not be performed on this resource as it stands (one line for people)."""


@dataclass(frozen=True)
class Resource:
    """One resource the monitor may act on, as stored: its identity, its team and what the
    handler needs to plan (``facts``: endpoint type, commitment, ...)."""

    kind: str
    arn: str
    name: str
    account_id: str
    region: str
    team: str
    facts: dict[str, Any] = field(default_factory=dict)


class Aws:
    """The AWS calls of one action, through one target (the remediation role): each answer's
    request id is kept for the audit row, each error comes out as AwsDenied/AwsTransient/AwsFatal."""

    def __init__(self, clients: ClientFactory, target: Target) -> None:
        self._clients = clients
        self.target = target
        self.request_ids: list[str] = []
        self.writes = 0

    def read(self, service: str, method: str, **params: Any) -> dict[str, Any]:
        """A read call; its answer without the response metadata."""
        answer = self._call(service, method, params)
        answer.pop("ResponseMetadata", None)
        return answer

    def write(self, service: str, method: str, **params: Any) -> dict[str, Any]:
        """A call that changes AWS: its request id goes to the audit row."""
        answer = self._call(service, method, params)
        self.writes += 1
        request_id = answer.pop("ResponseMetadata", {}).get("RequestId")
        if request_id:
            self.request_ids.append(str(request_id))
        return answer

    def client(self, service: str) -> Any:
        """The raw client (for waiters)."""
        return self._clients(service, self.target)

    def _call(self, service: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        client = self._clients(service, self.target)
        operation = client.meta.method_to_api_mapping.get(method, method)
        with translated_errors(service, operation):
            answer: dict[str, Any] = getattr(client, method)(**params)
        return answer


class Handler(Protocol):
    """One resource kind's part of an action: find it, price it, plan, snapshot, act, restore."""

    kind: str

    def resolve(self, session: Session, arn: str) -> Resource | None:
        """The stored resource whose ARN is ``arn`` (as ``waste`` prints it), None if unknown."""
        ...

    def hourly_usd(self, session: Session, resource: Resource) -> Decimal | None:
        """What the resource costs an hour while running (its latest priced hour)."""
        ...

    def refusal(self, resource: Resource, action: str) -> str | None:
        """Why ``action`` may never be done to this resource (None: it may)."""
        ...

    def plan(self, resource: Resource, action: str, document: dict[str, Any] | None) -> list[str]:
        """The steps of ``action``, for people (``document``: the snapshot restore starts from)."""
        ...

    def done(self, aws: Aws, resource: Resource, action: str) -> str | None:
        """Why the resource is already in the state ``action`` wants (None: it is not)."""
        ...

    def snapshot(self, aws: Aws, resource: Resource, action: str) -> dict[str, Any]:
        """Everything needed to undo ``action``, JSON-safe (raises Refused if it cannot be done)."""
        ...

    def act(self, aws: Aws, resource: Resource, action: str, document: dict[str, Any]) -> str:
        """Perform ``action`` (delete or scale-to-zero); returns a line saying what was done."""
        ...

    def restored(self, aws: Aws, resource: Resource, document: dict[str, Any]) -> str | None:
        """Why restoring ``document`` is not needed (the resource is back already), else None."""
        ...

    def restore(self, aws: Aws, resource: Resource, document: dict[str, Any]) -> str:
        """Recreate what ``document`` describes; returns a line saying what was done."""
        ...


def jsonable(node: Any) -> Any:
    """An AWS answer as JSON (times as ISO 8601 UTC strings), without its response metadata."""
    if isinstance(node, dict):
        return {k: jsonable(v) for k, v in node.items() if k != "ResponseMetadata"}
    if isinstance(node, list | tuple):
        return [jsonable(v) for v in node]
    if isinstance(node, datetime):
        return as_utc(node).isoformat()
    if isinstance(node, Decimal):
        return str(node)
    return node


def arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN; empty strings where it has none."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return "", "", "", ""
    return parts[2], parts[3], parts[4], parts[5]
