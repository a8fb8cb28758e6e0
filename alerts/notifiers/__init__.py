"""Notification channels, one module each, built from the config's `notifiers`."""

from __future__ import annotations

from alerts.notifiers.base import DeliveryError, Message, Notifier
from alerts.notifiers.email import EmailChannel
from alerts.notifiers.log import LogChannel
from alerts.notifiers.pagerduty import PagerDutyChannel
from alerts.notifiers.slack import SlackChannel
from alerts.notifiers.sns import SnsChannel
from alerts.notifiers.webhook import WebhookChannel
from core.aws import ClientFactoryFn
from core.settings import (
    EmailNotifier,
    LogNotifier,
    PagerDutyNotifier,
    SlackNotifier,
    SnsNotifier,
    WebhookNotifier,
)

__all__ = ["DeliveryError", "Message", "Notifier", "build_notifiers"]


def build_notifiers(configured: dict[str, object], clients: ClientFactoryFn) -> dict[str, Notifier]:
    """One channel object per configured notifier name."""
    channels: dict[str, Notifier] = {}
    for name, settings in configured.items():
        if isinstance(settings, SlackNotifier):
            channels[name] = SlackChannel(name, settings)
        elif isinstance(settings, PagerDutyNotifier):
            channels[name] = PagerDutyChannel(name, settings)
        elif isinstance(settings, EmailNotifier):
            channels[name] = EmailChannel(name, settings)
        elif isinstance(settings, WebhookNotifier):
            channels[name] = WebhookChannel(name, settings)
        elif isinstance(settings, SnsNotifier):
            channels[name] = SnsChannel(name, settings, clients)
        elif isinstance(settings, LogNotifier):
            channels[name] = LogChannel(name)
        else:
            raise TypeError(f"no channel for notifier {name!r} of type {type(settings).__name__}")
    return channels
