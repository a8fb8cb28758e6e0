"""The actions as the dashboard sees them: handed in by monitor (the dashboard imports core only),
and who may use them (the admins, and the groups of ``actions.dashboard_groups``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from flask import current_app

from core.actions_settings import ActionsConfig
from dashboard.access import Viewer

ACTIONS_EXTENSION = "genai-monitor-actions"


class ActionOutcome(Protocol):
    """What an action answered (``actions.types.ActionResult`` is one)."""

    @property
    def outcome(self) -> str: ...

    @property
    def message(self) -> str: ...


# (action, resource ARN, actor) -> the outcome; the action is performed (not only planned)
Act = Callable[[str, str, str], ActionOutcome]


def current_act() -> Act | None:
    """The act function the running app was created with, if any."""
    act: Act | None = current_app.extensions.get(ACTIONS_EXTENSION)
    return act


def may_act(viewer: Viewer, config: ActionsConfig) -> bool:
    """Whether ``viewer`` may act from the dashboard: actions are on, and they are an admin or in
    one of ``actions.dashboard_groups``."""
    if not config.enabled:
        return False
    return viewer.role == "admin" or bool(set(viewer.groups) & set(config.dashboard_groups))
