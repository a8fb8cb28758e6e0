"""PagerDuty Events API v2: trigger and resolve, one event per alert, deduplicated by its key."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import SecretStr

from alerts.notifiers.base import SOURCE, AlertItem, Channel, Message, add_channel, post_json
from core.settings import NotifierSettings


class PagerDutyNotifier(NotifierSettings):
    """`{type: pagerduty}`: PagerDuty Events API v2."""

    type: Literal["pagerduty"]
    routing_key: SecretStr
    # EU accounts: https://events.eu.pagerduty.com/v2/enqueue
    events_url: str = "https://events.pagerduty.com/v2/enqueue"


SEVERITIES = {"critical": "critical", "warning": "warning", "info": "info"}


def pagerduty_event(alert: AlertItem, kind: str, routing_key: str) -> dict[str, Any]:
    """One Events API v2 event; a repeat re-triggers the same dedup key, which PagerDuty folds."""
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "resolve" if kind == "resolved" else "trigger",
        "dedup_key": alert.dedup_key,
    }
    if kind != "resolved":
        event["payload"] = {
            "summary": alert.message[:1024],
            "source": SOURCE,
            "severity": SEVERITIES.get(alert.severity, "warning"),
            "component": alert.subject,
            "group": alert.team,
            "class": alert.rule,
            "custom_details": alert.details,
        }
    return event


class PagerDutyChannel(Channel[PagerDutyNotifier]):
    """Sends each alert of a message as its own event (PagerDuty has no multi-alert event)."""

    idempotent = True  # PagerDuty folds events with the same dedup_key into one incident

    def send(self, message: Message) -> None:
        """Send every alert's event; a retry re-sends all of them, which the dedup key makes harmless."""
        for alert in message.alerts:
            post_json(
                self.settings.events_url,
                pagerduty_event(alert, message.kind, self.settings.routing_key.get_secret_value()),
                self.settings.timeout_seconds,
                what=f"pagerduty notifier {self.name}",
            )


add_channel("pagerduty", PagerDutyNotifier, PagerDutyChannel, order=20)
