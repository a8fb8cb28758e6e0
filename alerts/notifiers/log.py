"""Writes messages to the log: the demo's channel, and a safe default."""

from __future__ import annotations

import logging
from typing import Literal

from alerts.notifiers.base import Message
from core.registry import NotifierEntry, notifiers
from core.settings import NotifierSettings


class LogNotifier(NotifierSettings):
    """`{type: log}`: the service's log (the demo's channel)."""

    type: Literal["log"]


log = logging.getLogger("genai-monitor.alerts")


class LogChannel:
    """Logs each message at WARNING."""

    idempotent = True  # logging cannot end with an unknown outcome

    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, message: Message) -> None:
        """Log the message."""
        log.warning("%s", message.text)


notifiers.add(
    NotifierEntry("log", LogNotifier, lambda name, _settings, _clients: LogChannel(name), order=60)
)
