"""One lifecycle for every rule: pending -> firing -> resolved, silences, repeats, the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.rules import Finding
from core.alert_state import OPEN_STATES, AlertState
from core.links import waste_link
from core.models import Alert, Notification, Silence
from core.settings import MonitorConfig

# the states in which an alert inhibits the lower ones of its group: its condition is confirmed
STANDING_STATES = (AlertState.FIRING, AlertState.SILENCED)


@dataclass
class Change:
    """One thing an evaluation did, for the CLI's report and --dry-run."""

    what: str  # opened, fired, resolved, silenced, inhibited, notify
    rule: str
    subject: str
    detail: str = ""


@dataclass
class EvaluationSummary:
    """What one evaluation changed."""

    changes: list[Change] = field(default_factory=list)

    def count(self, what: str) -> int:
        """How many changes of one kind."""
        return sum(1 for change in self.changes if change.what == what)


def silence_matches(silence: Silence, rule: str, subject: str, team: str) -> bool:
    """Whether a silence covers an alert."""
    return silence.covers(rule, subject, team)


class AlertEngine:
    """Advances alert states from findings and queues due notifications, in the caller's transaction."""

    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        self.rules = {rule.rule_name: rule for rule in config.alerts.rules}
        self.teams = {team.name: team for team in config.teams}

    def routes(self, team: str, details: Mapping[str, Any] | None = None) -> list[str]:
        """The notifier names an alert goes to: the routes its finding names (a `budgets:`
        entry's own), else its team's, else the default route."""
        named = (details or {}).get("routes")
        if isinstance(named, list):
            return [str(route) for route in named]
        configured = self.teams.get(team)
        if configured is not None and configured.routes is not None:
            return list(configured.routes)
        return list(self.config.alerts.default_route)

    def repeat_interval(self, rule: str, channel: str) -> timedelta:
        """How long before a firing alert is told again on a channel (zero: never)."""
        notifier = self.config.notifiers.get(channel)
        if notifier is not None and notifier.repeat_interval is not None:
            return notifier.repeat_interval
        configured = self.rules.get(rule)
        if configured is not None and configured.repeat_interval is not None:
            return configured.repeat_interval
        return self.config.alerts.repeat_interval

    def evaluate(
        self, session: Session, results: Mapping[str, list[Finding] | None], now: datetime
    ) -> EvaluationSummary:
        """Apply one evaluation's findings; a rule mapped to None (its data unreadable) is left alone."""
        summary = EvaluationSummary()
        evaluated = {rule for rule, findings in results.items() if findings is not None}
        open_alerts = {
            (alert.rule, alert.subject): alert
            for alert in session.scalars(select(Alert).where(Alert.state.in_(OPEN_STATES)))
        }
        silences = list(
            session.scalars(select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now))
        )
        seen = self._apply_findings(
            session,
            [f for rule in evaluated for f in results[rule] or ()],
            open_alerts,
            silences,
            now,
            summary,
        )
        resolved = self._resolve_cleared(session, open_alerts, seen, evaluated, now, summary)
        session.flush()
        firing = [
            alert
            for alert in open_alerts.values()
            if alert.state == AlertState.FIRING and alert.rule in evaluated and alert in session
        ]
        self._queue(session, firing, resolved, now, summary)
        return summary

    def _apply_findings(
        self,
        session: Session,
        findings: list[Finding],
        open_alerts: dict[tuple[str, str], Alert],
        silences: list[Silence],
        now: datetime,
        summary: EvaluationSummary,
    ) -> set[tuple[str, str]]:
        """Open an alert for each new finding and advance every found one; returns their keys.

        The findings of an inhibition group go highest rank first: once one of them fires (or
        is silenced), the lower ones are inhibited.
        """
        seen: set[tuple[str, str]] = set()
        standing: dict[tuple[str, str], str] = {}  # (rule, inhibit group) -> its firing subject
        for finding in sorted(findings, key=lambda f: -f.rank if f.inhibit_group else 0.0):
            key = (finding.rule, finding.subject)
            seen.add(key)
            alert = open_alerts.get(key)
            if alert is None:
                alert = open_alerts[key] = self._open(session, finding, now)
                summary.changes.append(
                    Change("opened", finding.rule, finding.subject, finding.message)
                )
            group = (finding.rule, finding.inhibit_group or "")
            if finding.inhibit_group is not None and group in standing:
                self._inhibit(alert, finding, standing[group], now, summary)
                continue
            self._advance(alert, finding, silences, now, summary)
            if finding.inhibit_group is not None and alert.state in STANDING_STATES:
                standing[group] = alert.subject
        return seen

    def _resolve_cleared(
        self,
        session: Session,
        open_alerts: dict[tuple[str, str], Alert],
        seen: set[tuple[str, str]],
        evaluated: set[str],
        now: datetime,
        summary: EvaluationSummary,
    ) -> list[Alert]:
        """Resolve the open alerts of evaluated (or removed) rules that were not found again."""
        resolved: list[Alert] = []
        for (rule, subject), alert in open_alerts.items():
            if (rule, subject) in seen or (rule not in evaluated and rule in self.rules):
                continue
            if alert.state == AlertState.PENDING and alert.fired_at is None:
                session.delete(alert)  # never fired: no history worth keeping, nothing to tell
                continue
            alert.state, alert.resolved_at = AlertState.RESOLVED, now
            summary.changes.append(Change("resolved", rule, subject))
            resolved.append(alert)
        return resolved

    def _open(self, session: Session, finding: Finding, now: datetime) -> Alert:
        alert = Alert(
            rule=finding.rule,
            subject=finding.subject,
            opened_at=now,
            team=finding.team,
            severity=finding.severity,
            state=AlertState.PENDING,
            active_since=finding.active_since or now,
            last_seen_at=now,
            message=finding.message,
            details=self._details(finding),
        )
        session.add(alert)
        return alert

    def _details(self, finding: Finding) -> dict[str, Any]:
        """The finding's details, with a link to the Waste page on the resource it is about
        (when it names one and the dashboard's public address is configured)."""
        resource = finding.details.get("resource")
        public_url = self.config.dashboard.public_url
        if not resource or public_url is None:
            return finding.details
        return {**finding.details, "link": waste_link(public_url, str(resource))}

    def _update(self, alert: Alert, finding: Finding, now: datetime) -> None:
        """Take the finding's latest description of the alert."""
        alert.team, alert.severity, alert.message, alert.details = (
            finding.team,
            finding.severity,
            finding.message,
            self._details(finding),
        )
        alert.last_seen_at = now
        if finding.active_since is not None:
            alert.active_since = finding.active_since

    def _inhibit(
        self, alert: Alert, finding: Finding, by: str, now: datetime, summary: EvaluationSummary
    ) -> None:
        """Hold an alert under a higher one of its group: shown only on request, never told."""
        self._update(alert, finding, now)
        if alert.state != AlertState.INHIBITED:
            summary.changes.append(Change("inhibited", alert.rule, alert.subject, f"by {by}"))
        alert.state, alert.inhibited_by, alert.silenced_until = AlertState.INHIBITED, by, None

    def _advance(
        self,
        alert: Alert,
        finding: Finding,
        silences: list[Silence],
        now: datetime,
        summary: EvaluationSummary,
    ) -> None:
        self._update(alert, finding, now)
        alert.inhibited_by = None
        ends = [
            s.ends_at
            for s in silences
            if silence_matches(s, finding.rule, finding.subject, finding.team)
        ]
        if finding.silenced_until is not None and finding.silenced_until > now:
            ends.append(finding.silenced_until)
        if ends:
            if alert.state != AlertState.SILENCED:
                summary.changes.append(
                    Change("silenced", alert.rule, alert.subject, f"until {max(ends).isoformat()}")
                )
            alert.state, alert.silenced_until = AlertState.SILENCED, max(ends)
            return
        alert.silenced_until = None
        if now - alert.active_since >= finding.hold_for:
            if alert.state != AlertState.FIRING:
                alert.state = AlertState.FIRING
                alert.fired_at = alert.fired_at or now
                summary.changes.append(Change("fired", alert.rule, alert.subject, alert.message))
        else:
            alert.state = AlertState.PENDING

    def _queue(
        self,
        session: Session,
        firing: Iterable[Alert],
        resolved: Iterable[Alert],
        now: datetime,
        summary: EvaluationSummary,
    ) -> None:
        """Create the outbox rows due now: first messages, repeats, and resolved messages."""
        firing, resolved = list(firing), list(resolved)
        history = self._history(session, [alert.id for alert in firing + resolved])
        for alert in firing:
            for channel in self.routes(alert.team, alert.details):
                last = history.get((alert.id, channel))
                if last is None:
                    self._notify(session, alert, channel, "firing", 0, now, summary)
                    continue
                sequence, created_at = last
                interval = self.repeat_interval(alert.rule, channel)
                if interval > timedelta(0) and now - created_at >= interval:
                    self._notify(session, alert, channel, "repeat", sequence + 1, now, summary)
        for alert in resolved:
            configured = self.rules.get(alert.rule)
            if configured is not None and not configured.notify_resolved:
                continue
            for (alert_id, channel), _last in history.items():
                if alert_id == alert.id:
                    self._notify(session, alert, channel, "resolved", 0, now, summary)

    @staticmethod
    def _history(
        session: Session, alert_ids: list[int]
    ) -> dict[tuple[int, str], tuple[int, datetime]]:
        """Per (alert, channel): the newest firing/repeat sequence number and when it was queued."""
        if not alert_ids:
            return {}
        rows = session.execute(
            select(
                Notification.alert_id,
                Notification.channel,
                func.max(Notification.sequence),
                func.max(Notification.created_at),
            )
            .where(
                Notification.alert_id.in_(alert_ids), Notification.kind.in_(("firing", "repeat"))
            )
            .group_by(Notification.alert_id, Notification.channel)
        )
        return {
            (alert_id, channel): (sequence, created_at)
            for alert_id, channel, sequence, created_at in rows
        }

    @staticmethod
    def _notify(
        session: Session,
        alert: Alert,
        channel: str,
        kind: str,
        sequence: int,
        now: datetime,
        summary: EvaluationSummary,
    ) -> None:
        session.add(
            Notification(
                alert_id=alert.id,
                channel=channel,
                kind=kind,
                sequence=sequence,
                group_key=f"{now.isoformat()}|{alert.rule}|{alert.team}|{kind}",
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )
        alert.last_notified_at = now
        summary.changes.append(Change("notify", alert.rule, alert.subject, f"{kind} -> {channel}"))
