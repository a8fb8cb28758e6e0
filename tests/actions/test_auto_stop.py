"""The auto_stop policy, pure: announce past ``after``, act when the notice ran out, cancel on a
keep-alive tag, a silence or traffic, and act once per idle spell."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from actions.policies.auto_stop import AutoStopFacts, AutoStopSettings, decide
from actions.policies.base import Resource
from actions.policies.facts import IdleResource, OpenNotice

NOW = datetime(2026, 5, 12, 9, tzinfo=UTC)
ENDPOINT = Resource(
    "arn:aws:sagemaker:us-east-1:111122223333:endpoint/idle-llm",
    "sagemaker_endpoint",
    "idle-llm",
    "111122223333",
    "us-east-1",
    "research",
)
IDLE = IdleResource(ENDPOINT, NOW - timedelta(hours=80), "delete (snapshot first)")
POLICY = AutoStopSettings(kind="auto_stop", teams=["research"])
NOTICE = OpenNotice(7, ENDPOINT.arn, "research", NOW - timedelta(minutes=1))


def _decide(*idle: IdleResource, notices=(), acted=None, policy=POLICY, now=NOW):
    return decide(now, policy, AutoStopFacts(list(idle), list(notices), acted or {}))


def test_defaults_are_72h_after_and_12h_notice():
    assert (POLICY.after, POLICY.notice) == (timedelta(hours=72), timedelta(hours=12))


def test_idle_past_after_is_announced_with_the_notice():
    [intent] = _decide(IDLE)
    assert (intent.what, intent.action, intent.act_after, intent.policy) == (
        "announce",
        "delete",
        NOW + timedelta(hours=12),
        "auto_stop",
    )


def test_idle_for_less_than_after_waits():
    assert _decide(replace(IDLE, idle_since=NOW - timedelta(hours=71))) == []


def test_the_notice_is_waited_out_then_acted_on():
    waiting = replace(NOTICE, act_after=NOW + timedelta(minutes=1))
    assert _decide(IDLE, notices=[waiting]) == []
    [intent] = _decide(IDLE, notices=[NOTICE])
    assert (intent.what, intent.action, intent.notice_id) == ("act", "delete", 7)


def test_an_async_endpoint_is_scaled_to_zero_and_report_only_is_never_acted_on():
    [intent] = _decide(replace(IDLE, action="scale-to-zero"), notices=[NOTICE])
    assert intent.action == "scale-to-zero"
    assert _decide(replace(IDLE, action="report only")) == []


def test_a_keep_alive_tag_cancels_until_its_date_passes():
    kept = replace(IDLE, tags={"keep-alive-until": "2026-05-20"})
    [intent] = _decide(kept, notices=[NOTICE])
    assert (intent.what, intent.notice_id) == ("cancel", 7)
    assert "keep-alive-until tag until 2026-05-21" in intent.reason
    assert _decide(kept) == []  # nothing announced while it holds
    expired = replace(IDLE, tags={"keep-alive-until": "2026-05-11"})
    assert [i.what for i in _decide(expired)] == ["announce"]
    unreadable = replace(IDLE, tags={"keep-alive-until": "forever"})
    assert [i.what for i in _decide(unreadable)] == ["announce"]


def test_a_silence_cancels():
    [intent] = _decide(replace(IDLE, silenced=True), notices=[NOTICE])
    assert (intent.what, intent.reason) == ("cancel", "its idle alert is silenced")


def test_traffic_back_cancels_the_notice():
    [intent] = _decide(notices=[NOTICE])
    assert (intent.what, intent.notice_id, intent.resource.name, intent.resource.region) == (
        "cancel",
        7,
        "idle-llm",
        "us-east-1",
    )


def test_acts_once_per_idle_spell():
    assert _decide(IDLE, acted={ENDPOINT.arn: NOW - timedelta(hours=1)}) == []
    # acted on in an earlier spell (restored, called, idle again since): announced again
    earlier = {ENDPOINT.arn: IDLE.idle_since - timedelta(hours=30)}
    assert [i.what for i in _decide(IDLE, acted=earlier)] == ["announce"]


def test_only_opted_in_teams_and_matching_names():
    assert _decide(IDLE, policy=AutoStopSettings(kind="auto_stop", teams=["search"])) == []
    named = AutoStopSettings(kind="auto_stop", teams=["research"], resources=["dev-*"])
    assert _decide(IDLE, policy=named) == []
    assert _decide(replace(IDLE, resource=replace(ENDPOINT, name="dev-1")), policy=named) != []
