"""`genai-monitor prices show`: the price the project would charge for one item, and why."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import main

CONFIG = """
pricing:
  overrides:
    acme.house-model-v1: {input_per_mtok: 1.5, output_per_mtok: 6}
"""


@pytest.fixture
def show(tmp_path, monkeypatch):
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")

    def run(*args: str):
        return CliRunner().invoke(main, ["prices", "show", *args])

    return run


def test_an_instance_type_shows_its_hourly_price_source_and_date(show):
    result = show("ml.g4dn.12xlarge")
    assert result.exit_code == 0, result.output
    assert "ml.g4dn.12xlarge in us-east-1: 4.89 USD per instance-hour" in result.stdout
    assert "as of:  2026-11-25" in result.stdout
    assert "region:" not in result.stdout


def test_a_region_without_its_own_price_says_it_uses_the_us_east_1_list_price(show):
    result = show("ml.c5.9xlarge", "--region", "ap-southeast-2")
    assert result.exit_code == 0, result.output
    assert "1.836 USD per instance-hour" in result.stdout
    assert "source: us-east-1 list price (" in result.stdout
    assert "no price of its own for ap-southeast-2" in result.stdout
    regional = show("ml.g5.xlarge", "--region", "eu-west-1")
    assert "1.5732 USD" in regional.stdout and "region:" not in regional.stdout


def test_a_cross_region_profile_is_priced_as_its_model(show):
    result = show("us.anthropic.claude-3-5-haiku-20241022-v1:0", "--region", "us-west-2")
    assert result.exit_code == 0, result.output
    assert "priced as:  anthropic.claude-3-5-haiku-20241022-v1:0" in result.stdout
    assert "input" in result.stdout and "USD per million tokens" in result.stdout


def test_a_config_override_is_what_the_project_charges(show):
    result = show("acme.house-model-v1")
    assert result.exit_code == 0, result.output
    assert "input        1.5 USD per million tokens" in result.stdout


@pytest.mark.parametrize("item", ["acme.unknown-v1", "ml.x99.huge"])
def test_an_unknown_item_exits_2_with_one_line(show, item):
    result = show(item)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and item in result.stderr
