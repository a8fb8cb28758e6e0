"""Notification channels, one module each (settings schema, channel, registration)."""

from __future__ import annotations

from alerts.notifiers.base import DeliveryError, Message, Notifier
from core import registry
from core.aws import ClientFactoryFn
from core.settings import NotifierSettings

__all__ = ["DeliveryError", "Message", "Notifier", "build_notifiers"]


def build_notifiers(
    configured: dict[str, NotifierSettings], clients: ClientFactoryFn
) -> dict[str, Notifier]:
    """One channel object per configured notifier name, built by its registered type."""
    return {
        name: registry.notifiers[settings.type].build(name, settings, clients)
        for name, settings in configured.items()
    }
