"""What every channel receives, how it fails and registers; HTTP posting for the web channels."""

from __future__ import annotations

import http.client
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
    """A message could not be delivered; the text never contains a secret (no URLs, no keys).

    ``unknown``: the message went out but no answer came in time, so the receiver may well have
    processed it (a slow receiver); the outbox re-sends it only to a channel that is idempotent.
    """

    def __init__(self, message: str, retryable: bool = True, unknown: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.unknown = unknown


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
    def link(self) -> str | None:
        """Where the dashboard shows the alert's resource, if the alert carries a link."""
        link = self.details.get("link")
        return link if isinstance(link, str) else None

    @property
    def line(self) -> str:
        """The alert's message, with its dashboard link when it has one."""
        return self.message if self.link is None else f"{self.message} ({self.link})"

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
        return "\n".join([self.title, *(f"- {alert.line}" for alert in self.alerts)])


class Notifier(Protocol):
    """A channel: sends a message or raises DeliveryError."""

    name: str
    # the receiver drops a re-sent message by its key (Idempotency-Key, dedup_key, ...), so a
    # message whose outcome is unknown may be sent again without a duplicate
    idempotent: bool

    def send(self, message: Message) -> None:
        """Deliver one message."""
        ...


SettingsT = TypeVar("SettingsT", bound=BaseModel)


class Channel(Generic[SettingsT]):
    """A channel made from its configured name and its settings alone."""

    idempotent = False

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
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - URLs come from the operator's config
    except urllib.error.HTTPError as exc:
        retryable = exc.code in (408, 429) or exc.code >= 500
        raise DeliveryError(f"{what} answered HTTP {exc.code}", retryable=retryable) from None
    except urllib.error.URLError as exc:
        # urllib wraps what fails before the request is fully sent: nothing was processed
        raise DeliveryError(f"{what} unreachable: {type(exc.reason).__name__}") from None
    except (TimeoutError, ConnectionError, http.client.HTTPException):
        # the request went out and the answer did not come back: the receiver may have acted
        raise DeliveryError(f"{what} sent, no answer within {timeout:g} s", unknown=True) from None
    with response:
        try:
            return bytes(response.read())
        except (OSError, http.client.HTTPException):
            return b""  # it answered 2xx: the body is of no interest
