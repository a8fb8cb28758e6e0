"""Writes messages to the log: the demo's channel, and a safe default."""

from __future__ import annotations

import logging

from alerts.notifiers.base import Message

log = logging.getLogger("genai-monitor.alerts")


class LogChannel:
    """Logs each message at WARNING."""

    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, message: Message) -> None:
        """Log the message."""
        log.warning("%s", message.text)
