from datetime import timedelta
from pathlib import Path

import pytest

from core.settings import (
    ConfigError,
    EnvSettings,
    default_config,
    env_settings,
    load_config,
    parse_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"
ENV = {"SEARCH_SLACK_WEBHOOK": "https://hooks.slack.test/x", "PD_ROUTING_KEY": "pd-key"}


def test_example_config_loads_with_every_section():
    config = parse_config(EXAMPLE.read_text(), str(EXAMPLE), ENV)
    assert [a.id for a in config.accounts] == ["123456789012"]
    assert config.regions == ["us-east-1", "us-west-2"]
    assert config.attribution.inference_profiles["a1b2c3d4e5f6"].team == "search"
    assert (
        config.attribution.inference_profiles["f6e5d4c3b2a1"].model
        == "anthropic.claude-3-5-haiku-20241022-v1:0"
    )
    assert config.collection.bedrock.lookback == timedelta(hours=3)
    assert config.collection.costs.interval == timedelta(hours=6)
    assert (
        config.notifiers["search-slack"].webhook_url.get_secret_value()
        == "https://hooks.slack.test/x"
    )
    assert config.alerts.rules[0].for_ == timedelta(hours=24)


def test_empty_config_is_all_defaults():
    assert parse_config("", "x.yaml") == default_config()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("regions: us-east-1\n", "regions: Input should be a valid list"),
        ("regionz: [us-east-1]\n", "regionz: unknown key"),
        (
            "teams: [{name: search, monthly_budget_usd: -5}]\n",
            "teams[0].monthly_budget_usd: Input should be greater than or equal to 0",
        ),
        (
            "regions: [us-east-1, useast2]\n",
            "regions: expected an AWS region name like us-east-1, got 'useast2'",
        ),
        ("accounts: [{id: '12345'}]\n", "accounts[0].id: expected a 12-digit AWS account id"),
        (
            "collection: {bedrock: {interval: soon}}\n",
            "collection.bedrock.interval: expected a duration like 90m, 24h or 7d",
        ),
        (
            "teams: [{name: a, routes: [nowhere]}]\n",
            "team 'a' routes to 'nowhere', which is not under notifiers",
        ),
        ("notifiers: {x: {type: carrier-pigeon}}\n", "notifiers.x"),
        (
            "notifiers: {x: {type: slack, webhook_url: '${NOPE_UNSET}'}}\n",
            "notifiers.x.webhook_url: refers to ${NOPE_UNSET}",
        ),
        ("regions: [us-east-1\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping of keys at the top level"),
    ],
)
def test_bad_config_names_file_key_and_expectation(text, expected):
    with pytest.raises(ConfigError) as error:
        parse_config(text, "conf.yaml", {})
    message = str(error.value)
    assert message.startswith("conf.yaml")
    assert expected in message
    assert "\n" not in message


def test_missing_explicit_config_file_is_an_error(tmp_path):
    settings = EnvSettings("sqlite://", tmp_path / "absent.yaml", config_path_explicit=True)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(settings)


def test_missing_default_config_file_means_defaults(tmp_path):
    settings = EnvSettings("sqlite://", tmp_path / "absent.yaml", config_path_explicit=False)
    assert load_config(settings) == default_config()


def test_env_settings_defaults_and_overrides():
    defaults = env_settings({})
    assert defaults.database_url == "sqlite:///genai-monitor.db"
    assert str(defaults.config_path) == "genai-monitor.yaml"
    custom = env_settings(
        {"DATABASE_URL": "postgresql://db/x", "GENAI_MONITOR_CONFIG": "/etc/g.yaml"}
    )
    assert custom.database_url == "postgresql://db/x"
    assert custom.config_path_explicit


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teams: [{name: a, monthly_budget_usd: .inf}]", "finite number"),
        ("teams: [{name: a, monthly_budget_usd: .nan}]", "finite number"),
        ("teams: [{name: a, monthly_budget_usd: true}]", "a number, not true"),
        ("teams: [{name: a, monthly_service_budgets_usd: {Amazon Bedrock: false}}]", "a number"),
        ("pricing: {overrides: {m: {input_per_mtok: .inf}}}", "finite number"),
        ("alerts: {rules: [{kind: spend_spike, factor: .inf}]}", "finite number"),
        ("alerts: {rules: [{kind: budget_threshold, thresholds: [true]}]}", "a number"),
        ("alerts: {interval: 0s}", "alerts.interval: must be longer than zero"),
        ("collection: {bedrock: {lookback: 99999999999999d}}", "at most 3650d"),
        ("alerts: {repeat_interval: 999999999999999999999w}", "at most 3650d"),
    ],
)
def test_values_that_would_crash_or_mean_nothing_are_refused_at_load(text, message):
    with pytest.raises(ConfigError) as refused:
        parse_config(text, "x.yaml")
    assert message in str(refused.value)
    assert str(refused.value).startswith("x.yaml: ")


def test_numbers_from_the_environment_still_load(monkeypatch):
    config = parse_config(
        "teams: [{name: a, monthly_budget_usd: '${BUDGET}'}]", "x.yaml", {"BUDGET": "1500.5"}
    )
    assert config.teams[0].monthly_budget_usd == 1500.5


def test_a_config_file_that_is_not_utf8_is_a_config_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("teams: [{name: caf\xe9}]\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(EnvSettings("sqlite://", path, True))


def test_example_config_holds_the_action_policies_and_the_public_url():
    config = parse_config(EXAMPLE.read_text(), str(EXAMPLE), ENV)
    assert config.dashboard.public_url == "https://genai-monitor.example.com"
    assert not config.actions.enabled
    kinds = {policy.kind: policy for policy in config.actions.policies}
    assert set(kinds) == {"auto_stop", "schedule"}
    assert kinds["schedule"].timezone == "Europe/Berlin"  # type: ignore[attr-defined]
