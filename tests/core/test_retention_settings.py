from datetime import timedelta
from pathlib import Path

import pytest

from core.partitions import HOURLY_TABLES
from core.retention_settings import RetentionConfig
from core.settings import ConfigError, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"


def test_absent_retention_keeps_everything():
    assert parse_config("", "x.yaml").retention.per_table() == {}


def test_hourly_applies_to_every_hourly_table_and_a_table_overrides_it():
    config = parse_config("retention: {hourly: 400d, endpoint_hourly: 30d}", "x.yaml")
    expected = dict.fromkeys(HOURLY_TABLES, timedelta(days=400))
    expected["endpoint_hourly"] = timedelta(days=30)
    assert config.retention.per_table() == expected


def test_one_table_alone():
    config = parse_config("retention: {principal_usage_hourly: 90d}", "x.yaml")
    assert config.retention.per_table() == {"principal_usage_hourly": timedelta(days=90)}


def test_every_hourly_table_can_be_named():
    assert set(RetentionConfig.model_fields) == {"hourly", *HOURLY_TABLES}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retention: {rollup_daily_bedrock: 30d}", "rollup_daily_bedrock"),
        ("retention: {hourly: 12h}", "at least 1d"),
        ("retention: {bedrock_usage_hourly: soon}", "duration"),
    ],
)
def test_a_bad_retention_names_the_key(text, message):
    with pytest.raises(ConfigError, match=message) as raised:
        parse_config(text, "x.yaml")
    assert "retention" in str(raised.value)


def test_the_example_documents_a_retention():
    env = {"SEARCH_SLACK_WEBHOOK": "https://hooks.slack.test/x", "PD_ROUTING_KEY": "pd-key"}
    config = parse_config(EXAMPLE.read_text(), str(EXAMPLE), env)
    assert config.retention.per_table()["principal_usage_hourly"] == timedelta(days=90)
    assert config.retention.per_table()["bedrock_usage_hourly"] == timedelta(days=400)
