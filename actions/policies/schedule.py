"""`{kind: schedule}`: stop the covered resources at one cron time and restore them at another,
in a configured time zone (dev endpoints off nights and weekends); on a listed holiday a
resource stopped the evening before stays stopped (that day's starts are skipped).

Transitions act on edges: a stop due since the last cycle stops what is running, a start due
restores what this schedule stopped. Someone who restores a resource by hand at night keeps it
until the next stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from sqlalchemy.orm import Session

from actions.policies import facts as read
from actions.policies.base import Intent, Resource, Window, covers
from actions.policies.cron import CronError, fires, last_fire, trigger
from core.actions_settings import PolicySettings
from core.registry import PolicyEntry, policies

_TICK = timedelta(microseconds=1)
State = Literal["running", "stopped"]


class ScheduleSettings(PolicySettings):
    """`{kind: schedule, teams, resources, stop, start, timezone, holidays, stop_action}`."""

    kind: Literal["schedule"]
    resources: list[str] = Field(default_factory=list)  # name patterns; empty: every resource
    stop: str
    start: str
    timezone: str = "UTC"
    holidays: list[date] = Field(default_factory=list)
    stop_action: Literal["delete", "scale-to-zero"] = "delete"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"expected an IANA time zone like Europe/Berlin, got {value!r}"
            ) from None
        return value

    @model_validator(mode="after")
    def _crons(self) -> Self:
        for expression in (self.stop, self.start):
            try:
                trigger(expression, self.timezone)
            except CronError as exc:
                raise ValueError(str(exc)) from None
        return self


def _starts(settings: ScheduleSettings, after: datetime, until: datetime) -> list[datetime]:
    """The start times in (after, until] that are not on a holiday (in the schedule's zone)."""
    zone = ZoneInfo(settings.timezone)
    holidays = set(settings.holidays)
    return [
        at
        for at in fires(trigger(settings.start, settings.timezone), after, until)
        if at.astimezone(zone).date() not in holidays
    ]


def _last_start(settings: ScheduleSettings, at: datetime) -> datetime | None:
    """The newest start at or before ``at`` not on a holiday."""
    cron, zone, holidays = (
        trigger(settings.start, settings.timezone),
        ZoneInfo(settings.timezone),
        set(settings.holidays),
    )
    found = last_fire(cron, at)
    while found is not None and found.astimezone(zone).date() in holidays:
        found = last_fire(cron, found - _TICK)
    return found


def wanted_state(settings: ScheduleSettings, now: datetime) -> State:
    """Whether the covered resources should be running at ``now``: the newer of the last stop
    and the last (non-holiday) start decides; with neither in a year, running."""
    stop = last_fire(trigger(settings.stop, settings.timezone), now)
    start = _last_start(settings, now)
    if stop is None:
        return "running"
    return "stopped" if start is None or stop >= start else "running"


@dataclass(frozen=True)
class Transitions:
    """The stops and starts due in (since, now]."""

    stops: tuple[datetime, ...]
    starts: tuple[datetime, ...]


def transitions(settings: ScheduleSettings, since: datetime, now: datetime) -> Transitions:
    """The schedule's stops and (non-holiday) starts in (``since``, ``now``]."""
    stops = tuple(fires(trigger(settings.stop, settings.timezone), since, now))
    return Transitions(stops, tuple(_starts(settings, since, now)))


@dataclass(frozen=True)
class ScheduleFacts:
    """What a schedule decides on: the last cycle, what runs, and what it stopped itself."""

    window: Window
    running: Sequence[Resource]
    stopped_by_policy: Sequence[Resource]


def decide(now: datetime, settings: ScheduleSettings, facts: ScheduleFacts) -> list[Intent]:
    """Stop what runs when a stop fell due in the window (and stopped is wanted at its end);
    restore what this schedule stopped when a start fell due (and running is wanted)."""
    due = transitions(settings, facts.window.since, min(now, facts.window.until))
    if not (due.stops or due.starts):
        return []
    wanted = wanted_state(settings, min(now, facts.window.until))
    name = settings.policy_name
    if wanted == "stopped" and due.stops:
        return [
            Intent(
                "act", name, resource, action=settings.stop_action, reason=_why("stop", due.stops)
            )
            for resource in facts.running
            if covers(settings.teams, settings.resources, resource.team, resource.name)
        ]
    if wanted == "running" and due.starts:
        return [
            Intent("act", name, resource, action="restore", reason=_why("start", due.starts))
            for resource in facts.stopped_by_policy
        ]
    return []


def _why(what: str, times: Sequence[datetime]) -> str:
    return f"scheduled {what} at {times[-1].isoformat()}"


def gather(
    session: Session, settings: ScheduleSettings, now: datetime, window: Window
) -> ScheduleFacts:
    """The live endpoints the schedule covers and the resources it stopped (not yet restored)."""
    stopped = read.stopped_by(session, settings.policy_name)
    held = read.unrestored_arns(session)
    running = [
        resource
        for resource in read.live_endpoints(session, settings.teams)
        if resource.arn not in held
        and covers(settings.teams, settings.resources, resource.team, resource.name)
    ]
    del now  # a schedule acts on the fire times in its window
    return ScheduleFacts(window, running, stopped)


policies.add(PolicyEntry("schedule", ScheduleSettings, decide, gather=gather, order=20))
