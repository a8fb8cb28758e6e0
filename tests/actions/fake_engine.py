"""A stand-in for the action engine (actions.engine, built in parallel): it records every request
and writes the rows the real engine writes — a succeeded stop leaves a snapshot with the hourly
price and an audit row naming it; a succeeded restore sets the snapshot's restored_at and audits."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.types import ActionRequest, ActionResult
from core.models import ActionAudit, Snapshot


class FakeEngine:
    """A Perform over the database only: every request succeeds."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        teams: dict[str, str],
        hourly_usd: Decimal = Decimal("3.03"),
        pause: float = 0.0,
    ) -> None:
        self.sessions, self.clock, self.teams = sessions, clock, teams
        self.hourly_usd, self.pause = hourly_usd, pause
        self.requests: list[ActionRequest] = []
        self._lock = threading.Lock()

    def __call__(self, request: ActionRequest) -> ActionResult:
        with self._lock:
            self.requests.append(request)
        time.sleep(self.pause)  # a slow AWS call: the other replica has time to try
        arn = request.resource_arn
        parts = arn.split(":", 5)
        where = {
            "kind": "sagemaker_endpoint",
            "resource_arn": arn,
            "name": arn.rsplit("/", 1)[-1],
            "account_id": parts[4],
            "region": parts[3],
            "team": self.teams.get(arn, "unattributed"),
        }
        now = self.clock()
        with self.sessions.begin() as session:
            if request.action == "restore":
                snapshot = session.scalars(
                    select(Snapshot)
                    .where(Snapshot.resource_arn == arn, Snapshot.restored_at.is_(None))
                    .order_by(Snapshot.taken_at.desc())
                ).first()
                assert snapshot is not None, f"nothing to restore {arn} from"
                snapshot.restored_at = now
                snapshot_id = snapshot.id
            else:
                snapshot_id = str(uuid.uuid4())
                session.add(
                    Snapshot(
                        id=snapshot_id,
                        taken_at=now,
                        document={},
                        hourly_usd=self.hourly_usd,
                        **where,
                    )
                )
                session.flush()
            audit = ActionAudit(
                at=now,
                actor=request.actor,
                action=request.action,
                snapshot_id=snapshot_id,
                outcome="succeeded",
                message=request.reason,
                request_ids=["req-1"],
                **where,
            )
            session.add(audit)
            session.flush()
            audit_id = audit.id
        return ActionResult(
            "succeeded", f"{request.action} {arn}", snapshot_id=snapshot_id, audit_id=audit_id
        )
