"""One alert cycle: evaluate every rule on a snapshot, advance the alerts, deliver the outbox."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from alerts.engine import AlertEngine, EvaluationSummary
from alerts.notifiers.base import Notifier
from alerts.outbox import DeliveryReport, deliver
from alerts.rules import Finding, evaluate
from alerts.snapshot import Snapshot
from core.settings import MonitorConfig


def run_rules(config: MonitorConfig, snapshot: Snapshot) -> dict[str, list[Finding] | None]:
    """Every configured rule's findings (None for a rule whose data the snapshot lacks)."""
    return {rule.rule_name: evaluate(rule, snapshot) for rule in config.alerts.rules}


def evaluate_once(
    sessions: sessionmaker[Session],
    config: MonitorConfig,
    snapshot_of: Callable[[Session, datetime], Snapshot],
    now: datetime,
    dry_run: bool = False,
) -> EvaluationSummary:
    """Build the snapshot, evaluate the rules and advance the alerts in one transaction.

    With ``dry_run`` the transaction is rolled back: nothing changes and nothing is queued.
    """
    engine = AlertEngine(config)
    with sessions() as session:
        transaction = session.begin()
        try:
            summary = engine.evaluate(session, run_rules(config, snapshot_of(session, now)), now)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return summary


def cycle(
    sessions: sessionmaker[Session],
    config: MonitorConfig,
    snapshot_of: Callable[[Session, datetime], Snapshot],
    channels: Mapping[str, Notifier],
    clock: Callable[[], datetime],
    dry_run: bool = False,
) -> tuple[EvaluationSummary, DeliveryReport]:
    """Evaluate, then deliver what is due (nothing is delivered on a dry run)."""
    summary = evaluate_once(sessions, config, snapshot_of, clock(), dry_run)
    report = (
        DeliveryReport()
        if dry_run
        else deliver(sessions, channels, clock, config.alerts.delivery_workers)
    )
    return summary, report
