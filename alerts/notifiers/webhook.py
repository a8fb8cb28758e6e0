"""Generic JSON webhook, with an Idempotency-Key header so a receiver can drop a re-delivery."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr

from alerts.notifiers.base import SOURCE, Channel, Message, add_channel, post_json
from core.settings import NotifierSettings


class WebhookNotifier(NotifierSettings):
    """`{type: webhook}`: a JSON POST with a stable Idempotency-Key."""

    type: Literal["webhook"]
    # URLs and headers often carry tokens: both are secrets
    url: SecretStr
    headers: dict[str, SecretStr] = Field(default_factory=dict)


def webhook_payload(message: Message) -> dict[str, Any]:
    """The JSON body: the message and every alert in it."""
    return {
        "source": SOURCE,
        "kind": message.kind,
        "rule": message.rule,
        "team": message.team,
        "title": message.title,
        "idempotency_key": message.idempotency_key,
        "alerts": [
            {
                "rule": alert.rule,
                "subject": alert.subject,
                "team": alert.team,
                "severity": alert.severity,
                "state": alert.state,
                "message": alert.message,
                "opened_at": alert.opened_at.isoformat(),
                "dedup_key": alert.dedup_key,
                "details": alert.details,
            }
            for alert in message.alerts
        ],
    }


class WebhookChannel(Channel[WebhookNotifier]):
    """POSTs the message as JSON."""

    idempotent = True  # a re-sent message carries the same Idempotency-Key

    def send(self, message: Message) -> None:
        """Post the message."""
        headers = {name: value.get_secret_value() for name, value in self.settings.headers.items()}
        headers["Idempotency-Key"] = message.idempotency_key
        post_json(
            self.settings.url.get_secret_value(),
            webhook_payload(message),
            self.settings.timeout_seconds,
            headers,
            what=f"webhook notifier {self.name}",
        )


add_channel("webhook", WebhookNotifier, WebhookChannel, order=40)
