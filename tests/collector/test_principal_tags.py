"""The IAM principal tag lookup against moto IAM, cached in ``principal_tags`` on SQLite and
Postgres: users and roles (a session's tags are its role's), paging, the daily refresh, denied
and deleted principals, other accounts' principals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from sqlalchemy import select

from collector import principal_tags as module
from collector.principal_tags import principal_tag_lookup
from core.aws import ClientFactory, Target
from core.models_principal_tags import PrincipalTagSet
from core.principal_tag_cache import cached_principal_tags
from core.principals import attribute_principal
from core.settings import parse_config

ACCT = "123456789012"  # moto's account
TARGET = Target(ACCT, "us-east-1")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ROLE = f"arn:aws:iam::{ACCT}:role/etl"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/etl/job-42"
USER = f"arn:aws:iam::{ACCT}:user/ops/carol"


def _tags(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


@pytest.fixture
def iam(aws):
    client = boto3.client("iam", region_name="us-east-1")
    client.create_role(
        RoleName="etl",
        AssumeRolePolicyDocument="{}",
        Tags=_tags({"team": "research", "cost-team": "payments", "owner": "x"}),
    )
    client.create_user(UserName="carol", Path="/ops/", Tags=_tags({"team": "support"}))
    return client


def _lookup(sessions, clients, arns, now, **options):
    with sessions.begin() as session:
        return principal_tag_lookup(session, clients, TARGET, arns, now, **options)


def _calls(clients: ClientFactory) -> dict[str, int]:
    counts = clients.counter.snapshot()
    return {key: value for key, value in counts.items() if key.startswith("iam:")}


def test_reads_user_and_role_tags_once_and_caches_them(iam, sessions, monkeypatch):
    monkeypatch.setattr(module, "PAGE_ITEMS", 2)  # the role's three tags come in two pages
    clients = ClientFactory()
    found = _lookup(sessions, clients, [SESSION, ROLE, USER, SESSION], NOW)
    assert found.tags(SESSION) == {"team": "research", "cost-team": "payments", "owner": "x"}
    assert found.tags(ROLE) == found.tags(SESSION)
    assert found.tags(USER) == {"team": "support"}
    assert _calls(clients) == {"iam:ListRoleTags": 2, "iam:ListUserTags": 1}
    with sessions() as session:
        stored = {
            row.principal_arn: (row.tags, row.outcome, row.fetched_at)
            for row in session.scalars(select(PrincipalTagSet))
        }
        cached = cached_principal_tags(session, [SESSION])
    assert stored == {
        ROLE: ({"team": "research", "cost-team": "payments", "owner": "x"}, "read", NOW),
        USER: ({"team": "support"}, "read", NOW),
    }
    # what attribution reads: the session's role's tags, first configured key first
    attribution = parse_config("attribution: {principal_tag_keys: [cost-team, team]}").attribution
    decided = attribute_principal(SESSION, {}, attribution, cached)
    assert (decided.team, decided.rule) == (
        "payments",
        f"principal tag cost-team=payments on {ROLE}",
    )


def test_refetched_only_when_older_than_a_day(iam, sessions):
    clients = ClientFactory()
    _lookup(sessions, clients, [SESSION], NOW)
    iam.tag_role(RoleName="etl", Tags=_tags({"team": "search"}))
    # within the day: the cache answers, IAM is not asked
    within = _lookup(sessions, clients, [SESSION], NOW + timedelta(hours=23, minutes=59))
    assert within.tags(SESSION)["team"] == "research"
    assert _calls(clients) == {"iam:ListRoleTags": 1}
    # a day later: read again, and the cache holds the new tags and time
    later = NOW + timedelta(hours=24)
    assert _lookup(sessions, clients, [SESSION], later).tags(SESSION)["team"] == "search"
    assert _calls(clients) == {"iam:ListRoleTags": 2}
    with sessions() as session:
        row = session.get(PrincipalTagSet, ROLE)
        assert (row.tags["team"], row.fetched_at) == ("search", later)
    # max_age zero (attribution explain --refresh-tags) always reads
    _lookup(sessions, clients, [SESSION], later, max_age=timedelta(0))
    assert _calls(clients) == {"iam:ListRoleTags": 3}


def test_denied_and_deleted_principals_are_a_warning_and_no_tags(iam, sessions, caplog):
    clients = ClientFactory()
    stub = Stubber(clients("iam", TARGET))
    stub.add_client_error("list_user_tags", "AccessDenied", "not authorized", http_status_code=403)
    gone = f"arn:aws:iam::{ACCT}:role/deleted-role"
    with stub:
        # the user is denied (stubbed); the role does not exist in moto (NoSuchEntity)
        found = _lookup(sessions, clients, [USER], NOW)
    found_gone = _lookup(sessions, clients, [gone], NOW)
    assert found.tags(USER) == {} and found_gone.tags(gone) == {}
    with sessions() as session:
        outcomes = {
            row.principal_arn: row.outcome for row in session.scalars(select(PrincipalTagSet))
        }
    assert outcomes == {USER: "denied", gone: "missing"}
    assert "cannot read the tags of" in caplog.text and "does not exist" in caplog.text
    # cached like an answer: not asked again within the day
    before = _calls(clients)
    _lookup(sessions, clients, [USER, gone], NOW + timedelta(hours=1))
    assert _calls(clients) == before


def test_a_throttled_read_keeps_the_old_entry(iam, sessions, caplog):
    clients = ClientFactory(max_attempts=1)
    _lookup(sessions, clients, [ROLE], NOW)
    stub = Stubber(clients("iam", TARGET))
    stub.add_client_error("list_role_tags", "Throttling", "slow down", http_status_code=400)
    with stub:
        found = _lookup(sessions, clients, [ROLE], NOW + timedelta(days=2))
    assert found.tags(ROLE)["team"] == "research"  # the old entry, kept
    with sessions() as session:
        assert session.get(PrincipalTagSet, ROLE).fetched_at == NOW  # due again next time
    assert "the cached ones are kept" in caplog.text


def test_other_accounts_and_principals_without_tags_are_not_asked(iam, sessions):
    clients = ClientFactory()
    other = "arn:aws:sts::210987654321:assumed-role/etl/job"
    found = _lookup(sessions, clients, [other, f"arn:aws:iam::{ACCT}:root", "not-an-arn"], NOW)
    assert found.tags(other) == {} and _calls(clients) == {}
    with sessions() as session:
        assert session.scalars(select(PrincipalTagSet)).all() == []
