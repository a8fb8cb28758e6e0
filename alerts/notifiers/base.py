"""What every channel receives, how it fails and registers; HTTP posting for the web channels."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from core.registry import NotifierEntry, notifiers

USER_AGENT = "genai-cost-monitor"
SOURCE = "genai-cost-monitor"


class DeliveryError(Exception):
    """A message could not be delivered; the text never contains a secret (no URLs, no keys)."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class AlertItem:
    """One alert inside a message."""

    rule: str
    subject: str
    team: str
    severity: str
    state: str
    message: str
    opened_at: datetime
    details: dict[str, Any]

    @property
    def dedup_key(self) -> str:
        """Stable per alert episode subject: lets PagerDuty and friends fold repeats together."""
        return f"{SOURCE}/{self.rule}/{self.subject}"


@dataclass(frozen=True)
class Message:
    """One message to one channel: one kind of news about one or more alerts of a rule and team."""

    kind: str  # firing, repeat or resolved
    rule: str
    team: str
    alerts: tuple[AlertItem, ...]
    idempotency_key: str

    @property
    def title(self) -> str:
        """A one-line headline."""
        label = {"firing": "FIRING", "repeat": "STILL FIRING", "resolved": "RESOLVED"}[self.kind]
        count = len(self.alerts)
        what = self.alerts[0].subject if count == 1 else f"{count} alerts"
        return f"[{label}] {self.rule} ({self.team}): {what}"

    @property
    def text(self) -> str:
        """The headline and one line per alert."""
        return "\n".join([self.title, *(f"- {alert.message}" for alert in self.alerts)])


class Notifier(Protocol):
    """A channel: sends a message or raises DeliveryError."""

    name: str

    def send(self, message: Message) -> None:
        """Deliver one message."""
        ...


SettingsT = TypeVar("SettingsT", bound=BaseModel)


class Channel(Generic[SettingsT]):
    """A channel made from its configured name and its settings alone."""

    def __init__(self, name: str, settings: SettingsT) -> None:
        self.name = name
        self.settings = settings


def add_channel(
    kind: str, settings: type[BaseModel], channel: Callable[[str, Any], Notifier], order: int
) -> None:
    """Register notifier type ``kind``: a ``channel(name, settings)`` that needs no AWS client."""
    notifiers.add(
        NotifierEntry(
            kind, settings, lambda name, config, _clients: channel(name, config), order=order
        )
    )


def post_json(
    url: str,
    payload: Any,
    timeout: float,
    headers: dict[str, str] | None = None,
    what: str = "webhook",
) -> bytes:
    """POST JSON; any answer but 2xx raises DeliveryError (retryable for 408, 429 and 5xx)."""
    body = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URLs come from the operator's config
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        retryable = exc.code in (408, 429) or exc.code >= 500
        raise DeliveryError(f"{what} answered HTTP {exc.code}", retryable=retryable) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{what} unreachable: {type(reason).__name__}") from None
