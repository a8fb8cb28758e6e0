"""Per-cycle work claims shared by every `run` process on one database (DESIGN §6).

Each cycle of a job offers its targets as rows of ``work_claims`` keyed by (source, account,
region, cycle_start); a process takes one free row at a time (``FOR UPDATE SKIP LOCKED`` on
Postgres, SQLite's single writer elsewhere) and holds it under a lease it renews after every
window. A finished row is never taken again, so no target runs twice in a cycle; a row whose
lease ran out (its process died) is free again. A target held for one cycle is not taken for
another, so one target is not collected by two processes at once; a cycle's target left behind
that way is caught up on by whichever process is free when it is released.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from core.db import DatabaseError, error_reason, session_factory, upsert, write_turn
from core.models import WorkClaim

log = logging.getLogger(__name__)

# the account and region of a claim on work that has no target (the alert evaluation)
NO_TARGET = ("-", "-")


class LeaseLost(Exception):
    """Another process took over a claim whose lease had run out."""


@dataclass(frozen=True)
class Claim:
    """One claimed (source, account, region, cycle) and the row it is held by."""

    id: int
    source: str
    account_id: str
    region: str
    cycle_start: datetime


def process_name() -> str:
    """``host:pid``: who holds a claim, for operators reading the table."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Claims:
    """One process's side of the claims table: offer, take, renew, finish, prune."""

    def __init__(self, engine: Engine, owner: str | None = None) -> None:
        self.sessions = session_factory(engine)
        self.owner = owner or process_name()
        # a process's workers claim and load alongside: on SQLite they take turns writing
        self._write_turn = write_turn(engine)

    def offer(self, source: str, cycle_start: datetime, targets: Sequence[tuple[str, str]]) -> None:
        """Put a cycle's (account, region) targets up for claiming; rows that exist stay as they are."""
        rows = [
            {"source": source, "account_id": account, "region": region, "cycle_start": cycle_start}
            for account, region in targets
        ]
        with self._transaction("offer the cycle's targets") as session:
            upsert(session, WorkClaim, rows, key=_NATURAL_KEY, update=[])

    def take(self, source: str, since: datetime, now: datetime, lease: timedelta) -> Claim | None:
        """Claim a free target of a cycle that started at ``since`` or later (oldest cycle first,
        in random order within it, so processes spread); None if none is.

        A target held for one cycle is not taken for another, so a cycle can be left with a
        target behind; whichever process is free when it is released collects it.
        """
        # aliases: a bare WorkClaim in the subquery would correlate with the UPDATE's own row
        candidate_row, other = aliased(WorkClaim), aliased(WorkClaim)
        held_elsewhere = exists().where(
            other.source == candidate_row.source,
            other.account_id == candidate_row.account_id,
            other.region == candidate_row.region,
            other.cycle_start != candidate_row.cycle_start,
            other.finished_at.is_(None),
            other.lease_until >= now,
        )
        candidate = (
            select(candidate_row.id)
            .where(
                candidate_row.source == source,
                candidate_row.cycle_start >= since,
                _free(candidate_row, now),
                ~held_elsewhere,
            )
            .order_by(candidate_row.cycle_start, func.random())
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(WorkClaim)
            .where(WorkClaim.id == candidate, _free(WorkClaim, now))
            .values(claimed_by=self.owner, lease_until=now + lease)
            .returning(WorkClaim.id, WorkClaim.account_id, WorkClaim.region, WorkClaim.cycle_start)
            .execution_options(synchronize_session=False)
        )
        with self._transaction("claim a target") as session:
            row = session.execute(statement).first()
        if row is None:
            return None
        return Claim(row.id, source, row.account_id, row.region, row.cycle_start)

    def renew(self, claim: Claim, now: datetime, lease: timedelta) -> None:
        """Extend the lease; raises LeaseLost if another process took the claim over."""
        statement = (
            update(WorkClaim)
            .where(self._mine(claim))
            .values(lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        with self._transaction("renew a claim's lease") as session:
            renewed = session.execute(statement).rowcount  # type: ignore[attr-defined]
        if not renewed:
            raise LeaseLost(
                f"{claim.source} {claim.account_id}/{claim.region}: the lease ran out and "
                "another process took the target over"
            )

    @contextmanager
    def kept(self, claim: Claim, lease: timedelta, clock: Callable[[], datetime]) -> Iterator[None]:
        """Renew ``claim``'s lease in the background while the block runs, so work of one piece
        that outlasts its lease (an alert evaluation on a busy machine) is not taken over."""
        stop = threading.Event()

        def renew_until_stopped() -> None:
            while not stop.wait(lease.total_seconds() / 3):
                try:
                    self.renew(claim, clock(), lease)
                except LeaseLost as exc:
                    log.warning("%s", exc)
                    return
                except DatabaseError as exc:  # the work itself meets the outage and reports it
                    log.debug("%s", exc)

        keeper = threading.Thread(target=renew_until_stopped, name="claim-keeper", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()

    def finish(self, claim: Claim, status: str, now: datetime) -> None:
        """Mark the claim done, so no process takes the target again in this cycle."""
        statement = (
            update(WorkClaim)
            .where(self._mine(claim))
            .values(finished_at=now, status=status)
            .execution_options(synchronize_session=False)
        )
        with self._transaction("finish a claim") as session:
            session.execute(statement)

    def release(self, claim: Claim) -> None:
        """Give an unfinished claim up (this process is stopping): another may take it at once."""
        statement = (
            update(WorkClaim)
            .where(self._mine(claim))
            .values(lease_until=None)
            .execution_options(synchronize_session=False)
        )
        with self._transaction("release a claim") as session:
            session.execute(statement)

    def release_abandoned(self, source: str) -> int:
        """Free this process's unfinished claims of ``source``; returns how many.

        A process runs one job of a source at a time, so a claim it still holds when the job
        starts was left by a job the database failed under: waiting out its lease would hold
        the target back from every later cycle.
        """
        statement = (
            update(WorkClaim)
            .where(
                WorkClaim.source == source,
                WorkClaim.claimed_by == self.owner,
                WorkClaim.finished_at.is_(None),
                WorkClaim.lease_until.is_not(None),
            )
            .values(lease_until=None)
            .execution_options(synchronize_session=False)
        )
        with self._transaction("release abandoned claims") as session:
            released: int = session.execute(statement).rowcount  # type: ignore[attr-defined]
        return released

    def prune(self, source: str, before: datetime) -> int:
        """Delete the source's claims of cycles that started before ``before``; returns how many."""
        statement = delete(WorkClaim).where(
            WorkClaim.source == source, WorkClaim.cycle_start < before
        )
        with self._transaction("prune old claims") as session:
            pruned: int = session.execute(statement).rowcount  # type: ignore[attr-defined]
        return pruned

    def _mine(self, claim: Claim) -> ColumnElement[bool]:
        return and_(
            WorkClaim.id == claim.id,
            WorkClaim.claimed_by == self.owner,
            WorkClaim.finished_at.is_(None),
        )

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Session]:
        """A session in a transaction; a database failure becomes a one-line DatabaseError."""
        try:
            with self._write_turn, self.sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot {what}: {error_reason(exc)}") from exc


_NATURAL_KEY = ["source", "account_id", "region", "cycle_start"]


def _free(claim: Any, now: datetime) -> ColumnElement[bool]:
    """Not finished, and never claimed or its lease has run out."""
    return and_(
        claim.finished_at.is_(None), or_(claim.lease_until.is_(None), claim.lease_until < now)
    )
