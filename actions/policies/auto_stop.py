"""`{kind: auto_stop}`: an idle resource past ``after`` is announced on its team's channels, and
stopped ``notice`` later if it is still idle; a ``keep-alive-until`` tag with a date to come, a
silence on its idle alert, or traffic coming back cancels the notice. A resource is acted on
once per idle spell (a new spell starts when it is called again or restored)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field
from sqlalchemy.orm import Session

from actions.policies import facts as read
from actions.policies.base import Intent, Window, covers
from actions.policies.facts import IdleResource, OpenNotice
from actions.types import ActionName
from core.actions_settings import PolicySettings
from core.registry import PolicyEntry, policies
from core.settings import Duration
from core.tags import KEEP_ALIVE_TAG, keep_alive_until


class AutoStopSettings(PolicySettings):
    """`{kind: auto_stop, teams, after: 72h, notice: 12h, resources: [patterns]}`."""

    kind: Literal["auto_stop"]
    after: Duration = timedelta(hours=72)
    notice: Duration = timedelta(hours=12)
    resources: list[str] = Field(default_factory=list)  # name patterns; empty: every resource
    keep_alive_tag: str = KEEP_ALIVE_TAG


@dataclass(frozen=True)
class AutoStopFacts:
    """The idle resources of the policy's teams, its open notices, and when it last acted on each."""

    idle: Sequence[IdleResource]
    notices: Sequence[OpenNotice]
    acted: Mapping[str, datetime]


def _stop_action(waste_action: str) -> ActionName | None:
    """How the waste row says the resource stops; None for what is only reported."""
    if waste_action.startswith("delete"):
        return "delete"
    if waste_action == "scale-to-zero":
        return "scale-to-zero"
    return None


def _cancelled_by(settings: AutoStopSettings, idle: IdleResource, now: datetime) -> str | None:
    """Why the resource must be left alone now (a keep-alive tag, a silence), else None."""
    until = keep_alive_until(idle.tags.get(settings.keep_alive_tag))
    if until is not None and until > now:
        return f"{settings.keep_alive_tag} tag until {until.date().isoformat()}"
    if idle.silenced:
        return "its idle alert is silenced"
    return None


def _one(
    settings: AutoStopSettings, idle: IdleResource, notice: OpenNotice | None, now: datetime
) -> Intent | None:
    """The intent about one idle resource that the policy covers."""
    name, resource = settings.policy_name, idle.resource
    action = _stop_action(idle.action)
    cancelled = _cancelled_by(settings, idle, now)
    if notice is not None:
        if cancelled is not None or action is None:
            reason = cancelled or "it can only be reported"
            return Intent("cancel", name, resource, notice_id=notice.id, reason=reason)
        if now >= notice.act_after:
            idle_hours = (now - idle.idle_since).total_seconds() / 3600
            reason = f"idle for {idle_hours:.0f}h, announced notice ran out"
            return Intent("act", name, resource, action=action, notice_id=notice.id, reason=reason)
        return None
    if cancelled is not None or action is None or now - idle.idle_since < settings.after:
        return None
    return Intent(
        "announce",
        name,
        resource,
        action=action,
        act_after=now + settings.notice,
        reason=f"idle since {idle.idle_since.isoformat()}",
    )


def decide(now: datetime, settings: AutoStopSettings, facts: AutoStopFacts) -> list[Intent]:
    """Announce what has been idle past ``after``, act on notices run out, cancel the rest."""
    notices = {notice.resource_arn: notice for notice in facts.notices}
    intents = []
    seen = set()
    for idle in facts.idle:
        resource = idle.resource
        if not covers(settings.teams, settings.resources, resource.team, resource.name):
            continue
        acted = facts.acted.get(resource.arn)
        if acted is not None and acted >= idle.idle_since:
            continue  # acted on in this idle spell: once is enough
        seen.add(resource.arn)
        intent = _one(settings, idle, notices.get(resource.arn), now)
        if intent is not None:
            intents.append(intent)
    intents += [
        Intent(
            "cancel",
            settings.policy_name,
            notice.resource,
            notice_id=notice.id,
            reason="no longer idle (called again, stopped, or no longer covered)",
        )
        for arn, notice in notices.items()
        if arn not in seen
    ]
    return intents


def gather(
    session: Session, settings: AutoStopSettings, now: datetime, window: Window
) -> AutoStopFacts:
    """The idle resources of the policy's teams, its open notices and when it last acted."""
    del window  # auto-stop decides on the state now, not on what happened in the cycle
    name = settings.policy_name
    return AutoStopFacts(
        read.idle_resources(session, settings.teams, now),
        read.open_notices(session, name),
        read.last_acted(session, name),
    )


policies.add(PolicyEntry("auto_stop", AutoStopSettings, decide, gather=gather, order=10))
