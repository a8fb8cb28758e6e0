"""Principal -> team attribution (core.principals): each rule kind, the precedence between them,
a conflict, unknown teams, and the config validation of the principal keys."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from core.principal_arns import parse_caller
from core.principals import (
    NO_MAPPING,
    PRECEDENCE,
    PrincipalAttribution,
    attribute_principal,
    explain_principal,
)
from core.settings import UNATTRIBUTED, AttributionConfig, ConfigError, parse_config

ACCT = "111111111111"
SEARCH_SESSION = f"arn:aws:sts::{ACCT}:assumed-role/search-api/alice@support.example.com"
BOB = f"arn:aws:iam::{ACCT}:user/bob"
CONFIG = f"""
teams: [{{name: search}}, {{name: support}}, {{name: payments}}, {{name: research}}]
attribution:
  principal_tag_keys: [cost-team, team]
  principals:
    "{BOB}": support
    "arn:aws:iam::*:role/search-*": search
    "arn:aws:iam::*:user/*": research
  session_names:
    "*@support.example.com": support
    "ci-*": research
  request_metadata_keys: [team, project]
  request_metadata_teams:
    team: "*"
    project: {{checkout: payments, "search-*": search}}
"""


class Tags:
    """A PrincipalTags that records which callers were asked about."""

    def __init__(self, tags: Mapping[str, Mapping[str, str]]) -> None:
        self.known = tags
        self.asked: list[str] = []

    def tags(self, principal_arn: str) -> Mapping[str, str]:
        self.asked.append(principal_arn)
        owner = parse_caller(principal_arn).iam_arn or principal_arn
        return self.known.get(owner, {})


@pytest.fixture
def attribution() -> AttributionConfig:
    return parse_config(CONFIG).attribution


def test_exact_arn(attribution):
    assert attribute_principal(BOB, {}, attribution) == PrincipalAttribution(
        "support", f"principals[{BOB}]"
    )
    # the pattern that also covers bob is overridden by the exact entry
    explained = explain_principal(BOB, {}, attribution)
    assert [(m.kind, m.team) for m in explained.overridden] == [("principal pattern", "research")]


def test_role_pattern_covers_the_role_and_its_assumed_role_sessions(attribution):
    role = f"arn:aws:iam::{ACCT}:role/search-api"
    session = f"arn:aws:sts::{ACCT}:assumed-role/search-api/batch-job-7"
    assert attribute_principal(role, {}, attribution).team == "search"
    decided = attribute_principal(session, {}, attribution)
    assert decided.team == "search"
    assert decided.rule == f"principals[arn:aws:iam::*:role/search-*] (the session's role {role})"
    # another role, and an STS ARN of another shape, are not covered
    assert attribute_principal(f"arn:aws:sts::{ACCT}:assumed-role/billing/x", {}, attribution) == (
        PrincipalAttribution(UNATTRIBUTED, NO_MAPPING)
    )


def test_an_exact_role_arn_covers_its_sessions_as_a_pattern_would():
    role = f"arn:aws:iam::{ACCT}:role/support-bot"
    config = AttributionConfig(principals={role: "support"})
    session = f"arn:aws:sts::{ACCT}:assumed-role/support-bot/i-0abc"
    assert attribute_principal(session, {}, config) == PrincipalAttribution(
        "support", f"principals[{role}] (the session's role {role})"
    )


def test_session_names_beat_role_patterns_and_name_the_session(attribution):
    explained = explain_principal(SEARCH_SESSION, {}, attribution)
    assert explained.decided == PrincipalAttribution(
        "support", "session_names[*@support.example.com] (alice@support.example.com)"
    )
    assert [(m.kind, m.team) for m in explained.overridden] == [("principal pattern", "search")]
    # a session name pattern does not apply to a user (which has no session)
    assert attribute_principal(f"arn:aws:iam::{ACCT}:user/ci-runner", {}, attribution).rule == (
        "principals[arn:aws:iam::*:user/*]"
    )


def test_request_metadata_value_is_the_team_or_maps_to_one(attribution):
    assert attribute_principal(SEARCH_SESSION, {"team": "research"}, attribution) == (
        PrincipalAttribution("research", "request_metadata_teams[team=*] (research)")
    )
    assert attribute_principal(SEARCH_SESSION, {"project": "checkout"}, attribution) == (
        PrincipalAttribution("payments", "request_metadata_teams[project][checkout] (checkout)")
    )
    assert attribute_principal(BOB, {"project": "search-ranking"}, attribution).team == "search"
    # keys in the config's order: team before project
    both = attribute_principal(BOB, {"project": "checkout", "team": "research"}, attribution)
    assert both.team == "research"


def test_a_metadata_value_naming_no_configured_team_invents_none(attribution):
    explained = explain_principal(SEARCH_SESSION, {"team": "marketing"}, attribution)
    assert explained.decided.team == "support"  # the next rule decides
    assert [(m.rule, m.team) for m in explained.ignored] == [
        ("request_metadata_teams[team=*] (marketing)", None)
    ]
    # an unmapped project value matches nothing
    assert attribute_principal(BOB, {"project": "other"}, attribution).team == "support"


def test_principal_tags_of_the_user_or_the_sessions_role(attribution):
    role = f"arn:aws:iam::{ACCT}:role/etl"
    tags = Tags({role: {"team": "research", "cost-team": "payments"}})
    session = f"arn:aws:sts::{ACCT}:assumed-role/etl/job-1"
    # keys in order: cost-team first
    assert attribute_principal(session, {}, attribution, tags) == PrincipalAttribution(
        "payments", f"principal tag cost-team=payments on {role}"
    )
    explained = explain_principal(session, {}, attribution, tags, default_team="support")
    assert [(m.kind, m.team) for m in explained.overridden] == [
        ("principal tag", "research"),
        ("account default", "support"),
    ]


def test_a_tag_naming_an_unknown_team_is_ignored_where_teams_are_listed(attribution):
    role = f"arn:aws:iam::{ACCT}:role/etl"
    tags = Tags({role: {"team": "marketing"}})
    decided = attribute_principal(role, {}, attribution, tags, default_team="support")
    assert decided == PrincipalAttribution("support", "account default team")
    # with no teams listed, the tag's value is the team (as a resource tag's is)
    open_config = AttributionConfig(principal_tag_keys=["team"])
    assert attribute_principal(role, {}, open_config, tags).team == "marketing"


def test_tags_are_not_read_once_an_earlier_rule_decided(attribution):
    tags = Tags({})
    attribute_principal(BOB, {}, attribution, tags)
    assert tags.asked == []
    attribute_principal(f"arn:aws:iam::{ACCT}:role/etl", {}, attribution, tags)
    assert tags.asked == [f"arn:aws:iam::{ACCT}:role/etl"]


def test_account_default_then_unattributed(attribution):
    role = f"arn:aws:iam::{ACCT}:role/etl"
    assert attribute_principal(role, {}, attribution, default_team="research") == (
        PrincipalAttribution("research", "account default team")
    )
    assert attribute_principal(role, {}, attribution) == PrincipalAttribution(
        UNATTRIBUTED, NO_MAPPING
    )


def test_the_precedence_is_the_documented_one_everywhere():
    import core.principals as module

    doc = module.__doc__ or ""
    positions = [doc.index(kind) for kind in PRECEDENCE]
    assert positions == sorted(positions)
    readme = Path("README.md").read_text(encoding="utf-8")
    example = Path("config.example.yaml").read_text(encoding="utf-8")
    for text, start in (
        (readme, "### Which team a caller belongs to"),
        (example, "Who called Bedrock"),
    ):
        section = text[text.index(start) :]
        positions = [section.index(kind) for kind in PRECEDENCE]
        assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("arn", "kind", "name", "session", "iam_arn"),
    [
        (BOB, "user", "bob", None, BOB),
        (
            f"arn:aws:iam::{ACCT}:user/ops/carol",
            "user",
            "carol",
            None,
            f"arn:aws:iam::{ACCT}:user/ops/carol",
        ),
        (
            f"arn:aws:iam::{ACCT}:role/service/etl",
            "role",
            "etl",
            None,
            f"arn:aws:iam::{ACCT}:role/service/etl",
        ),
        (SEARCH_SESSION, "assumed-role", "search-api", "alice@support.example.com", None),
        (f"arn:aws:iam::{ACCT}:root", "other", None, None, None),
        ("not an arn", "other", None, None, None),
    ],
)
def test_parse_caller(arn, kind, name, session, iam_arn):
    caller = parse_caller(arn)
    assert (caller.kind, caller.name, caller.session) == (kind, name, session)
    if kind == "assumed-role":
        assert caller.iam_arn == f"arn:aws:iam::{ACCT}:role/search-api"
    else:
        assert caller.iam_arn == iam_arn


@pytest.mark.parametrize(
    ("attribution_yaml", "message"),
    [
        (
            "{principals: {'arn:aws:iam::*:role/x-*': nobody}}",
            "attribution.principals.arn:aws:iam::*:role/x-* names team 'nobody'",
        ),
        ("{session_names: {'*@x': nobody}}", "attribution.session_names.*@x names team 'nobody'"),
        (
            "{request_metadata_keys: [project], request_metadata_teams: {project: {a: nobody}}}",
            "attribution.request_metadata_teams.project.a names team 'nobody'",
        ),
        (
            "{request_metadata_teams: {project: {a: search}}}",
            "'project' must also be listed in attribution.request_metadata_keys",
        ),
        (
            "{request_metadata_keys: [team], request_metadata_teams: {team: any}}",
            'expected "*" (the value is the team) or a mapping',
        ),
        (
            "{request_metadata_keys: [team], request_metadata_teams: {team: {a: 3}}}",
            "expected a mapping of metadata values",
        ),
        ("{session_names: [a]}", "attribution.session_names"),
    ],
)
def test_config_validation(attribution_yaml, message):
    with pytest.raises(ConfigError) as error:
        parse_config(f"teams: [{{name: search}}]\nattribution: {attribution_yaml}\n", "c.yaml")
    assert message in str(error.value)
    assert str(error.value).startswith("c.yaml")


def test_a_value_that_is_the_team_needs_the_teams_listed():
    text = "attribution: {request_metadata_keys: [team], request_metadata_teams: {team: '*'}}"
    with pytest.raises(ConfigError, match="must name a team under teams: list the teams"):
        parse_config(text)
    # with no teams listed, a config-named team is taken as it is
    loose = parse_config(
        "attribution: {request_metadata_keys: [p], request_metadata_teams: {p: {a: x}}}"
    )
    assert attribute_principal(BOB, {"p": "a"}, loose.attribution).team == "x"
