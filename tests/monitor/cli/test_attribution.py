"""`genai-monitor attribution explain`: each rule kind, a conflict, models and inference profiles,
the principal tags cache (and --refresh-tags against moto IAM) on SQLite and Postgres, and bad
usage or config (exit 2)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from click.testing import CliRunner

from core.models_principal_tags import PrincipalTagSet
from core.principals import PRECEDENCE
from monitor.cli import main

ACCT = "123456789012"  # moto's account
OTHER = "210987654321"
CONFIG = f"""
accounts:
  - {{id: "{ACCT}", team: research}}
  - {{id: "{OTHER}"}}
teams: [{{name: search}}, {{name: support}}, {{name: payments}}, {{name: research}}]
attribution:
  principal_tag_keys: [team]
  principals:
    "arn:aws:iam::{ACCT}:user/bob": support
    "arn:aws:iam::*:role/search-*": search
  session_names:
    "*@support.example.com": support
  request_metadata_keys: [team, project]
  request_metadata_teams:
    team: "*"
    project: {{checkout: payments}}
  inference_profiles:
    a1b2c3d4e5f6: search
"""
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/search-api/batch-7"


@pytest.fixture
def cli(database_url, engine, tmp_path, monkeypatch):
    """Runs `attribution explain` with CONFIG on the test database (emptied after the test)."""
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", database_url)

    def run(*args: str):
        return CliRunner().invoke(main, ["attribution", "explain", *args])

    return run


def _decided(result) -> tuple[str, str]:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    return lines[1].removeprefix("  team: "), lines[2].removeprefix("  rule: ")


def test_exact_arn(cli):
    bob = f"arn:aws:iam::{ACCT}:user/bob"
    assert _decided(cli(bob)) == ("support", f"principals[{bob}]")


def test_role_pattern_and_its_assumed_role_sessions(cli):
    role = f"arn:aws:iam::{ACCT}:role/search-api"
    assert _decided(cli(role)) == ("search", "principals[arn:aws:iam::*:role/search-*]")
    assert _decided(cli(SESSION)) == (
        "search",
        f"principals[arn:aws:iam::*:role/search-*] (the session's role {role})",
    )


def test_session_name_overrides_the_role_pattern(cli):
    result = cli(f"arn:aws:sts::{ACCT}:assumed-role/search-api/alice@support.example.com")
    assert _decided(result) == (
        "support",
        "session_names[*@support.example.com] (alice@support.example.com)",
    )
    assert (
        "  overridden (another team, lower precedence):\n"
        "    principal pattern: principals[arn:aws:iam::*:role/search-*] (the session's role "
        f"arn:aws:iam::{ACCT}:role/search-api) -> search\n"
        "    account default: account default team -> research\n"
    ) in result.stdout


def test_request_metadata_wins_and_an_unknown_team_is_ignored(cli):
    result = cli(SESSION, "--metadata", "team=marketing", "--metadata", "project=checkout")
    assert _decided(result) == (
        "payments",
        "request_metadata_teams[project][checkout] (checkout)",
    )
    assert (
        "  ignored (names no configured team):\n"
        "    request metadata: request_metadata_teams[team=*] (marketing) -> (no configured team)\n"
    ) in result.stdout
    assert _decided(cli(SESSION, "--metadata", "team=payments"))[0] == "payments"


def test_account_default_and_unattributed(cli):
    etl = f"arn:aws:iam::{ACCT}:role/etl"
    assert _decided(cli(etl)) == ("research", "account default team")
    # the calls made in another account: that account's default (none here)
    assert _decided(cli(etl, "--account", OTHER)) == ("unattributed", "no principal mapping")


def test_principal_tag_from_the_cache_and_refreshed_from_iam(cli, aws, sessions):
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(
        RoleName="etl", AssumeRolePolicyDocument="{}", Tags=[{"Key": "team", "Value": "payments"}]
    )
    etl_session = f"arn:aws:sts::{ACCT}:assumed-role/etl/nightly"
    role = f"arn:aws:iam::{ACCT}:role/etl"
    # nothing cached yet: the account default decides, and the output says how to read tags
    first = cli(etl_session)
    assert _decided(first) == ("research", "account default team")
    assert f"principal tags of {role}: not cached (run with --refresh-tags" in first.stdout
    refreshed = cli(etl_session, "--refresh-tags")
    assert _decided(refreshed) == ("payments", f"principal tag team=payments on {role}")
    assert "    account default: account default team -> research\n" in refreshed.stdout
    # the cache now answers without IAM: change the tag in IAM, the cached one still decides
    iam.tag_role(RoleName="etl", Tags=[{"Key": "team", "Value": "support"}])
    assert _decided(cli(etl_session))[0] == "payments"
    assert _decided(cli(etl_session, "--refresh-tags"))[0] == "support"
    with sessions() as session:
        row = session.get(PrincipalTagSet, role)
        assert (row.tags, row.outcome) == ({"team": "support"}, "read")


def test_a_cached_tag_seeded_in_the_database_decides(cli, sessions):
    role = f"arn:aws:iam::{OTHER}:role/analytics"
    with sessions.begin() as session:
        session.add(
            PrincipalTagSet(
                principal_arn=role,
                tags={"team": "research"},
                outcome="read",
                fetched_at=datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
            )
        )
    result = cli(f"arn:aws:sts::{OTHER}:assumed-role/analytics/s")
    assert _decided(result) == ("research", f"principal tag team=research on {role}")
    assert f"principal tags of {role}: team=research (read 2026-11-25T06:00:00Z)" in result.stdout


@pytest.mark.parametrize(
    ("subject", "team", "rule"),
    [
        (
            f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/a1b2c3d4e5f6",
            "search",
            "inference_profiles[a1b2c3d4e5f6]",
        ),
        ("a1b2c3d4e5f6", "search", "inference_profiles[a1b2c3d4e5f6]"),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            "unattributed",
            "no tag, profile mapping or account default",
        ),
    ],
)
def test_models_and_inference_profiles(cli, subject, team, rule):
    assert _decided(cli(subject)) == (team, rule)


def test_a_model_in_an_account_gets_its_default(cli):
    result = cli("anthropic.claude-3-haiku-20240307-v1:0", "--account", ACCT)
    assert _decided(result) == ("research", "account default team")


def test_help_lists_the_rules_in_precedence_order():
    result = CliRunner().invoke(main, ["attribution", "explain", "--help"])
    assert result.exit_code == 0
    positions = [result.stdout.index(kind) for kind in PRECEDENCE]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Missing argument 'ARN_OR_MODEL'"),
        (["x", "--account", "12"], "expected a 12-digit AWS account id"),
        (["x", "--account", "999999999999"], "account 999999999999 is not under accounts"),
        ([SESSION, "--metadata", "nokey"], "expected KEY=VALUE"),
        (["arn:aws:s3:::bucket"], "neither an IAM principal"),
        (["anthropic.claude-3-haiku-20240307-v1:0", "--refresh-tags"], "principal ARN only"),
        ([f"arn:aws:iam::{ACCT}:root", "--refresh-tags"], "no IAM user or role"),
    ],
)
def test_bad_usage_exits_2(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_bad_config_exits_2_and_names_the_key(cli, tmp_path, monkeypatch):
    config = tmp_path / "bad.yaml"
    config.write_text("teams: [{name: search}]\nattribution: {session_names: {'x-*': nobody}}\n")
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    result = cli(SESSION)
    assert result.exit_code == 2
    assert "attribution.session_names.x-* names team 'nobody'" in result.output
