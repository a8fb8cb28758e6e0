"""Slack incoming webhook."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from alerts.notifiers.base import AlertItem, Channel, Message, add_channel, post_json
from core.settings import NotifierSettings


class SlackNotifier(NotifierSettings):
    """`{type: slack}`: a Slack incoming webhook."""

    type: Literal["slack"]
    webhook_url: SecretStr


SEVERITY_EMOJI = {
    "critical": ":rotating_light:",
    "warning": ":warning:",
    "info": ":information_source:",
}


def _text(alert: AlertItem) -> str:
    """An alert's block: its message, then a link to the dashboard's page on it."""
    if alert.link is None:
        return alert.message[:2900]
    return f"{alert.message[:2400]}\n<{alert.link}|Open on the Waste page>"


def slack_payload(message: Message) -> dict[str, object]:
    """The webhook body: a text fallback plus a block per alert (Slack caps a message at 50 blocks)."""
    emoji = (
        ":white_check_mark:"
        if message.kind == "resolved"
        else SEVERITY_EMOJI.get(message.alerts[0].severity, "")
    )
    blocks: list[dict[str, object]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{emoji} *{message.title}*"}}
    ]
    shown = message.alerts[:45]
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": _text(alert)}} for alert in shown
    ]
    if len(message.alerts) > len(shown):
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"and {len(message.alerts) - len(shown)} more"}
                ],
            }
        )
    return {"text": message.text[:3000], "blocks": blocks}


class SlackChannel(Channel[SlackNotifier]):
    """Posts to a Slack incoming webhook.

    Slack has no idempotency key: a message sent without an answer in time is not sent again.
    """

    def send(self, message: Message) -> None:
        """Post the message."""
        post_json(
            self.settings.webhook_url.get_secret_value(),
            slack_payload(message),
            self.settings.timeout_seconds,
            what=f"slack notifier {self.name}",
        )


add_channel("slack", SlackNotifier, SlackChannel, order=10)
