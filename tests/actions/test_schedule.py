"""The schedule policy, pure: cron in a time zone (weekday numbering, DST changes in
Europe/Berlin), holidays, and the intents of consecutive cycles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from actions.policies.base import Resource, Window
from actions.policies.cron import CronError, fires, last_fire, trigger
from actions.policies.schedule import ScheduleFacts, ScheduleSettings, decide, wanted_state

BERLIN = ZoneInfo("Europe/Berlin")
DEV = Resource(
    "arn:aws:sagemaker:eu-central-1:111122223333:endpoint/dev-llm",
    "sagemaker_endpoint",
    "dev-llm",
    "111122223333",
    "eu-central-1",
    "search",
)
PROD = Resource(
    "arn:aws:sagemaker:eu-central-1:111122223333:endpoint/prod-llm",
    "sagemaker_endpoint",
    "prod-llm",
    "111122223333",
    "eu-central-1",
    "search",
)


def _settings(**changes: object) -> ScheduleSettings:
    values: dict[str, object] = {
        "kind": "schedule",
        "teams": ["search"],
        "resources": ["dev-*"],
        "stop": "0 20 * * 1-5",
        "start": "0 8 * * 1-5",
        "timezone": "Europe/Berlin",
    }
    return ScheduleSettings.model_validate(values | changes)


def _simulate(
    policy: ScheduleSettings, start: datetime, end: datetime, step: timedelta
) -> list[tuple[str, datetime]]:
    """Run decide cycle after cycle over a world of one covered and one uncovered endpoint;
    returns (action, cycle end) for every action, applying it to the world."""
    running = {DEV.arn: DEV, PROD.arn: PROD}
    stopped: dict[str, Resource] = {}
    done = []
    until = start
    while until < end:
        window = Window(until, until + step)
        until = window.until
        facts = ScheduleFacts(window, list(running.values()), list(stopped.values()))
        for intent in decide(until + timedelta(seconds=7), policy, facts):
            assert intent.what == "act" and intent.action is not None
            done.append((intent.action, until))
            arn = intent.resource.arn
            if intent.action == "restore":
                running[arn] = stopped.pop(arn)
            else:
                stopped[arn] = running.pop(arn)
    return done


def _local(actions: list[tuple[str, datetime]]) -> list[tuple[str, str]]:
    return [(what, at.astimezone(BERLIN).strftime("%a %Y-%m-%d %H:%M %Z")) for what, at in actions]


def test_standard_cron_weekdays_mean_monday_to_friday():
    cron = trigger("0 20 * * 1-5", "Europe/Berlin")
    week = list(fires(cron, datetime(2026, 6, 7, tzinfo=UTC), datetime(2026, 6, 14, tzinfo=UTC)))
    assert [at.astimezone(BERLIN).strftime("%a %H:%M") for at in week] == [
        "Mon 20:00",
        "Tue 20:00",
        "Wed 20:00",
        "Thu 20:00",
        "Fri 20:00",
    ]
    sundays = trigger("0 9 * * 0,7", "UTC")
    assert {
        at.strftime("%a")
        for at in fires(sundays, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
    } == {"Sun"}


def test_spring_forward_in_berlin_keeps_the_wall_clock_times():
    # Sunday 29 March 2026 02:00 CET -> 03:00 CEST
    done = _simulate(
        _settings(),
        datetime(2026, 3, 26, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC),
        timedelta(minutes=5),
    )
    assert _local(done) == [
        ("delete", "Thu 2026-03-26 20:00 CET"),
        ("restore", "Fri 2026-03-27 08:00 CET"),
        ("delete", "Fri 2026-03-27 20:00 CET"),
        ("restore", "Mon 2026-03-30 08:00 CEST"),
        ("delete", "Mon 2026-03-30 20:00 CEST"),
        ("restore", "Tue 2026-03-31 08:00 CEST"),
        ("delete", "Tue 2026-03-31 20:00 CEST"),
    ]
    # in UTC the restores move an hour earlier across the change
    assert [at.hour for what, at in done if what == "restore"] == [7, 6, 6]


def test_fall_back_in_berlin_on_the_day_itself():
    # Sunday 25 October 2026 03:00 CEST -> 02:00 CET; a daily schedule acts that very day
    policy = _settings(stop="30 1 * * *", start="0 8 * * *")
    done = _simulate(
        policy,
        datetime(2026, 10, 24, tzinfo=UTC),
        datetime(2026, 10, 26, 12, tzinfo=UTC),
        timedelta(minutes=15),
    )
    assert _local(done) == [
        ("delete", "Sun 2026-10-25 01:30 CEST"),
        ("restore", "Sun 2026-10-25 08:00 CET"),
        ("delete", "Mon 2026-10-26 01:30 CET"),
        ("restore", "Mon 2026-10-26 08:00 CET"),
    ]


def test_a_holiday_keeps_the_resource_stopped_until_the_next_start():
    policy = _settings(holidays=[date(2026, 4, 6)])  # Easter Monday
    done = _simulate(
        policy,
        datetime(2026, 4, 3, 12, tzinfo=UTC),
        datetime(2026, 4, 8, tzinfo=UTC),
        timedelta(hours=1),
    )
    assert _local(done) == [
        ("delete", "Fri 2026-04-03 20:00 CEST"),
        ("restore", "Tue 2026-04-07 08:00 CEST"),
        ("delete", "Tue 2026-04-07 20:00 CEST"),
    ]
    assert wanted_state(policy, datetime(2026, 4, 6, 10, tzinfo=UTC)) == "stopped"
    assert wanted_state(_settings(), datetime(2026, 4, 6, 10, tzinfo=UTC)) == "running"


def test_only_covered_resources_are_stopped_and_only_its_own_restored():
    window = Window(datetime(2026, 6, 8, 17, 55, tzinfo=UTC), datetime(2026, 6, 8, 18, tzinfo=UTC))
    intents = decide(window.until, _settings(), ScheduleFacts(window, [DEV, PROD], []))
    assert [(i.action, i.resource.name, i.policy) for i in intents] == [
        ("delete", "dev-llm", "schedule")
    ]
    other_team = _settings(teams=["research"])
    assert decide(window.until, other_team, ScheduleFacts(window, [DEV], [])) == []
    scale = _settings(stop_action="scale-to-zero")
    assert [i.action for i in decide(window.until, scale, ScheduleFacts(window, [DEV], []))] == [
        "scale-to-zero"
    ]


def test_no_fire_in_the_window_no_intent():
    window = Window(datetime(2026, 6, 8, 12, tzinfo=UTC), datetime(2026, 6, 8, 12, 5, tzinfo=UTC))
    assert decide(window.until, _settings(), ScheduleFacts(window, [DEV], [DEV])) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, "IANA time zone"),
        ({"stop": "0 20 * *"}, "five cron fields"),
        ({"start": "0 8 * * 1-9"}, "days of the week"),
        ({"start": "0 25 * * *"}, "not a cron expression"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(changes, expected):
    with pytest.raises(ValidationError, match=expected):
        _settings(**changes)


def test_cron_errors_name_the_expression():
    with pytest.raises(CronError, match="'nope'"):
        trigger("nope", "UTC")


@settings(max_examples=40, deadline=None)
@given(
    stop_hour=st.integers(0, 23),
    start_hour=st.integers(0, 23),
    day=st.integers(0, 364),
    step_minutes=st.sampled_from([5, 15, 60]),
)
def test_every_action_falls_on_its_local_wall_clock_time(stop_hour, start_hour, day, step_minutes):
    """Over four days from any day of 2026 (DST changes included), each stop and restore happens
    in the cycle that covers the configured local time, and the world ends in the wanted state."""
    policy = _settings(stop=f"0 {stop_hour} * * *", start=f"0 {start_hour} * * *")
    begin = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day)
    step = timedelta(minutes=step_minutes)
    done = _simulate(policy, begin, begin + timedelta(days=4), step)
    for what, at in done:
        hour = stop_hour if what == "delete" else start_hour
        fired = last_fire(trigger(f"0 {hour} * * *", "Europe/Berlin"), at)
        assert fired is not None and at - step < fired <= at
        local = fired.astimezone(BERLIN)
        # 02:xx does not exist on the spring-forward day: it fires at 03:00 local
        assert (local.hour, local.minute) == (hour, 0) or (hour == 2 and local.hour == 3)
    if stop_hour != start_hour:
        assert len(done) >= 6
