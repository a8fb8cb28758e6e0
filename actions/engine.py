"""The engine: resolve the resource, refuse what may not be done, plan, snapshot (committed before
any change), act, and audit every attempt with its outcome and AWS request ids."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.handlers import Aws, Handler, Refused, Resource, arn_parts
from actions.types import ActionRequest, ActionResult, Outcome, Perform
from core import registry
from core.actions_settings import ActionsConfig
from core.aws import AwsDenied, AwsError, ClientFactory, Target
from core.models import ActionAudit, Snapshot
from core.registry import import_submodules
from core.timeutil import utcnow


@dataclass(frozen=True)
class _Step:
    """What one request resolved to: the resource, its handler, the snapshot restore starts from."""

    resource: Resource
    handler: Handler
    snapshot: Snapshot | None = None


def performer(
    sessions: sessionmaker[Session],
    clients: ClientFactory,
    config: ActionsConfig,
    clock: Callable[[], datetime] = utcnow,
) -> Perform:
    """The engine for one config: ``perform(request) -> result``, every attempt audited at
    ``clock()`` (a policy's cycle time, or now)."""
    import_submodules("actions")  # each resource kind's handler registers itself

    def perform(request: ActionRequest) -> ActionResult:
        return _Engine(sessions, clients, config, clock).perform(request)

    return perform


def latest_snapshot(session: Session, arn: str) -> Snapshot | None:
    """The newest snapshot of ``arn`` not restored yet."""
    statement = (
        select(Snapshot)
        .where(Snapshot.resource_arn == arn, Snapshot.restored_at.is_(None))
        .order_by(Snapshot.taken_at.desc())
        .limit(1)
    )
    return session.scalars(statement).first()


class _Engine:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clients: ClientFactory,
        config: ActionsConfig,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.clients = clients
        self.config = config
        self.clock = clock

    def perform(self, request: ActionRequest) -> ActionResult:
        try:
            step = self._resolve(request)
        except Refused as exc:
            return self._audit_unknown(request, str(exc))
        resource = step.resource
        why = self._refusal(step, request)
        if why is not None:
            return self._audit(request, resource, "refused", why, snapshot=step.snapshot)
        document = step.snapshot.document if step.snapshot is not None else None
        plan = tuple(step.handler.plan(resource, request.action, document))
        if not request.execute:
            line = f"plan only (nothing changed): {request.action} {resource.name}"
            return self._audit(request, resource, "planned", line, plan, step.snapshot)
        aws = Aws(self.clients, self._target(resource))
        try:
            if request.action == "restore":
                assert step.snapshot is not None
                return self._restore(request, step, aws, plan)
            return self._stop(request, step, aws, plan)
        except Refused as exc:
            return self._audit(request, resource, "refused", str(exc), plan, step.snapshot, aws)

    def _resolve(self, request: ActionRequest) -> _Step:
        """The resource and its handler (for restore: the snapshot's)."""
        with self.sessions() as session:
            if request.action == "restore":
                return self._resolve_snapshot(session, request)
            for entry in registry.actions:
                resource = entry.handler.resolve(session, request.resource_arn)
                if resource is not None:
                    return _Step(resource, entry.handler)
        raise Refused(f"no resource with the ARN {request.resource_arn} is known to the monitor")

    def _resolve_snapshot(self, session: Session, request: ActionRequest) -> _Step:
        wanted = request.snapshot_id
        snapshot = (
            session.get(Snapshot, wanted)
            if wanted
            else latest_snapshot(session, request.resource_arn)
        )
        if snapshot is None:
            raise Refused(
                f"no snapshot {wanted} to restore from"
                if wanted
                else f"no unrestored snapshot of {request.resource_arn} to restore from"
            )
        if wanted and request.resource_arn and snapshot.resource_arn != request.resource_arn:
            raise Refused(
                f"snapshot {wanted} is of {snapshot.resource_arn}, not {request.resource_arn}"
            )
        if snapshot.kind not in registry.actions:
            raise Refused(f"snapshot {snapshot.id} is of an unknown kind {snapshot.kind!r}")
        session.expunge(snapshot)
        resource = Resource(
            kind=snapshot.kind,
            arn=snapshot.resource_arn,
            name=snapshot.name,
            account_id=snapshot.account_id,
            region=snapshot.region,
            team=snapshot.team,
        )
        return _Step(resource, registry.actions[snapshot.kind].handler, snapshot)

    def _refusal(self, step: _Step, request: ActionRequest) -> str | None:
        """Why the request is refused before anything is planned (None: it is not)."""
        resource = step.resource
        entry = registry.actions[resource.kind]
        why = step.handler.refusal(resource, request.action)
        if why is not None:
            return why
        if not entry.actions:
            return f"{resource.name} is a {resource.kind}: the monitor reports it only, it never acts on one"
        if request.action not in entry.actions:
            return f"{resource.name} is a {resource.kind}: {request.action} is not done on one (only {', '.join(entry.actions)})"
        if step.snapshot is not None and step.snapshot.restored_at is not None:
            return f"snapshot {step.snapshot.id} was restored already at {step.snapshot.restored_at.isoformat()}"
        if not self.config.enabled:
            return "actions are disabled: set actions.enabled: true in the config (the monitor stays read-only)"
        if self.config.role_for(resource.account_id) is None:
            return "no remediation role: set actions.role_arn in the config (see iam/remediation-policy.json)"
        return None

    def _target(self, resource: Resource) -> Target:
        """Where the write calls go: the resource's account and region, through the remediation role."""
        return Target(
            resource.account_id,
            resource.region,
            role_arn=self.config.role_for(resource.account_id),
            external_id=self.config.external_id,
        )

    def _stop(
        self, request: ActionRequest, step: _Step, aws: Aws, plan: tuple[str, ...]
    ) -> ActionResult:
        """delete / scale-to-zero: skip if done already, snapshot (committed), act, audit."""
        resource, handler = step.resource, step.handler
        try:
            already = handler.done(aws, resource, request.action)
            if already is not None:
                return self._audit(request, resource, "skipped", already, plan, None, aws)
            document = handler.snapshot(aws, resource, request.action)
        except AwsError as exc:
            return self._failed(request, resource, exc, plan, None, aws)
        snapshot_id = self._save_snapshot(resource, document)
        try:
            line = handler.act(aws, resource, request.action, document)
        except AwsError as exc:
            if aws.writes == 0:
                # nothing changed: the snapshot would claim a stop (and savings) that never was
                self._drop_snapshot(snapshot_id)
                return self._failed(request, resource, exc, plan, None, aws)
            return self._failed(request, resource, exc, plan, snapshot_id, aws)
        return self._audit(request, resource, "succeeded", line, plan, snapshot_id, aws)

    def _restore(
        self, request: ActionRequest, step: _Step, aws: Aws, plan: tuple[str, ...]
    ) -> ActionResult:
        """restore: skip if the resource is back, else recreate; the snapshot is marked restored
        only when the resource is back (a failed restore keeps it for the next try)."""
        resource, handler, snapshot = step.resource, step.handler, step.snapshot
        assert snapshot is not None
        try:
            already = handler.restored(aws, resource, snapshot.document)
            outcome: Outcome = "skipped" if already is not None else "succeeded"
            line = already or handler.restore(aws, resource, snapshot.document)
        except AwsError as exc:
            result = self._failed(request, resource, exc, plan, snapshot.id, aws)
            kept = f"{result.message}; snapshot {snapshot.id} is kept: `genai-monitor act restore --snapshot {snapshot.id}` tries again"
            return ActionResult(
                result.outcome, kept, plan, snapshot.id, result.audit_id, result.request_ids
            )
        with self.sessions.begin() as session:
            stored = session.get(Snapshot, snapshot.id)
            if stored is not None:
                stored.restored_at = self.clock()
        return self._audit(request, resource, outcome, line, plan, snapshot.id, aws)

    def _failed(
        self,
        request: ActionRequest,
        resource: Resource,
        exc: AwsError,
        plan: tuple[str, ...],
        snapshot_id: str | None,
        aws: Aws,
    ) -> ActionResult:
        outcome: Outcome = "denied" if isinstance(exc, AwsDenied) else "failed"
        line = f"{request.action} {resource.name} {outcome}: {exc}"
        if aws.writes:
            line += f" (after {aws.writes} change(s) were made: see the plan)"
        return self._audit(request, resource, outcome, line, plan, snapshot_id, aws)

    def _save_snapshot(self, resource: Resource, document: dict[str, Any]) -> str:
        """Store the snapshot and commit it before anything changes in AWS."""
        snapshot_id = str(uuid.uuid4())
        with self.sessions.begin() as session:
            handler: Handler = registry.actions[resource.kind].handler
            session.add(
                Snapshot(
                    id=snapshot_id,
                    kind=resource.kind,
                    resource_arn=resource.arn,
                    name=resource.name,
                    account_id=resource.account_id,
                    region=resource.region,
                    team=resource.team,
                    taken_at=self.clock(),
                    document=document,
                    hourly_usd=handler.hourly_usd(session, resource),
                    restored_at=None,
                )
            )
        return snapshot_id

    def _drop_snapshot(self, snapshot_id: str) -> None:
        with self.sessions.begin() as session:
            stored = session.get(Snapshot, snapshot_id)
            if stored is not None:
                session.delete(stored)

    def _audit(
        self,
        request: ActionRequest,
        resource: Resource,
        outcome: Outcome,
        message: str,
        plan: tuple[str, ...] = (),
        snapshot: Snapshot | str | None = None,
        aws: Aws | None = None,
    ) -> ActionResult:
        """Record the attempt; the result carries the audit row's id."""
        snapshot_id = snapshot.id if isinstance(snapshot, Snapshot) else snapshot
        request_ids = tuple(aws.request_ids) if aws is not None else ()
        with self.sessions.begin() as session:
            row = ActionAudit(
                at=self.clock(),
                actor=request.actor,
                action=request.action,
                kind=resource.kind,
                resource_arn=resource.arn,
                name=resource.name,
                account_id=resource.account_id,
                region=resource.region,
                team=resource.team,
                snapshot_id=snapshot_id,
                outcome=outcome,
                message=message,
                request_ids=list(request_ids),
            )
            session.add(row)
            session.flush()
            audit_id = row.id
        return ActionResult(outcome, message, plan, snapshot_id, audit_id, request_ids)

    def _audit_unknown(self, request: ActionRequest, message: str) -> ActionResult:
        """A refused request for a resource the monitor does not know: audited from the ARN."""
        service, region, account, rest = arn_parts(request.resource_arn)
        resource = Resource(
            kind=service or "unknown",
            arn=request.resource_arn,
            name=rest.rpartition("/")[2] or request.resource_arn,
            account_id=account[:12],
            region=region[:32],
            team="unattributed",
        )
        return self._audit(request, resource, "refused", message)
