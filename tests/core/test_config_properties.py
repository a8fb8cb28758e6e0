"""Any config either loads to something meaningful or is refused with one line (Hypothesis):
durations within [0, 3650d] and intervals longer than zero, money finite and not negative,
counts and timeouts bounded; never another exception."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from core.settings import ConfigError, MonitorConfig, parse_config
from core.timeutil import MAX_DURATION

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# odd unicode: no surrogates (YAML cannot carry them), everything else goes
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
DURATIONS = st.one_of(
    st.from_regex(r"\A\s?-?\d{1,22}\s?[smhdwy]?\s?\Z"),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.booleans(),
    st.none(),
    TEXT,
)
NUMBERS = st.one_of(
    st.floats(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    st.sampled_from(["1e400", "-0", "12.5", "NaN", ".inf"]),
    TEXT,
)
TEAM = st.fixed_dictionaries(
    {"name": st.one_of(st.sampled_from(["search", "support", "r&d"]), TEXT)},
    optional={
        "monthly_budget_usd": NUMBERS,
        "monthly_service_budgets_usd": st.dictionaries(TEXT, NUMBERS, max_size=2),
    },
)
SOURCE = st.fixed_dictionaries(
    {},
    optional={key: DURATIONS for key in ("interval", "lookback", "initial_backfill", "window")},
)
RULE = st.one_of(
    st.fixed_dictionaries({"kind": st.just("idle_endpoint")}, optional={"for": DURATIONS}),
    st.fixed_dictionaries({"kind": st.just("stale_data")}, optional={"for": DURATIONS}),
    st.fixed_dictionaries(
        {"kind": st.just("budget_threshold")},
        optional={"thresholds": st.lists(NUMBERS, max_size=3), "repeat_interval": DURATIONS},
    ),
    st.fixed_dictionaries(
        {"kind": st.just("spend_spike")},
        optional={"factor": NUMBERS, "baseline_days": NUMBERS, "min_increase_usd": NUMBERS},
    ),
    st.fixed_dictionaries({"kind": TEXT}),
)
NOTIFIER = st.fixed_dictionaries(
    {"type": st.just("webhook"), "url": st.just("https://hooks.example.com/genai")},
    optional={"timeout_seconds": NUMBERS, "repeat_interval": DURATIONS},
)
KNOWN = st.fixed_dictionaries(
    {},
    optional={
        "teams": st.lists(TEAM, max_size=3),
        "regions": st.lists(st.one_of(st.just("us-east-1"), TEXT), max_size=2),
        "collection": st.fixed_dictionaries(
            {}, optional={name: SOURCE for name in ("bedrock", "sagemaker", "costs")}
        ),
        "alerts": st.fixed_dictionaries(
            {},
            optional={
                "interval": DURATIONS,
                "repeat_interval": DURATIONS,
                "rules": st.lists(RULE, max_size=3),
            },
        ),
        "notifiers": st.dictionaries(
            st.sampled_from(["hook", "ünï\u200bcode"]), NOTIFIER, max_size=2
        ),
        "advisor": st.fixed_dictionaries(
            {}, optional={"hours_per_month": NUMBERS, "utilisation_target": NUMBERS}
        ),
    },
)
# the known keys, and sometimes a key no one knows
CONFIGS = st.tuples(KNOWN, st.dictionaries(TEXT, NUMBERS, max_size=1)).map(
    lambda parts: {**parts[1], **parts[0]}
)
# the largest count or timeout that still means something (days of baseline, seconds of wait)
MAX_COUNT = 3650


def _values(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every leaf value of a loaded config, with its key path."""
    if isinstance(node, BaseModel):
        return [
            item
            for name in type(node).model_fields
            for item in _values(getattr(node, name), f"{path}.{name}")
        ]
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in _values(value, f"{path}.{key}")]
    if isinstance(node, list | tuple):
        return [
            item for index, value in enumerate(node) for item in _values(value, f"{path}[{index}]")
        ]
    return [(path, node)]


def assert_meaningful(config: MonitorConfig) -> None:
    for path, value in _values(config):
        if isinstance(value, timedelta):
            assert timedelta(0) <= value <= MAX_DURATION, (path, value)
            if path.endswith((".interval", ".window")):
                assert value > timedelta(0), (path, value)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, float | int):
            assert math.isfinite(value) and value >= 0, (path, value)
            if not path.endswith("_usd") and "budgets_usd" not in path and "per_mtok" not in path:
                assert value <= MAX_COUNT * 86400, (path, value)


def check(text: str) -> None:
    try:
        config = parse_config(text, "genai-monitor.yaml", environ={})
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("genai-monitor.yaml") and "\n" not in message, message
        return
    assert_meaningful(config)


@SETTINGS
@given(CONFIGS)
@example({"teams": [{"name": "search", "monthly_budget_usd": True}]})
@example({"alerts": {"interval": "0s"}})
@example({"\n": None})
@example({"collection": {"bedrock": {"interval": "99999999999999d"}}})
@example({"alerts": {"rules": [{"kind": "spend_spike", "baseline_days": 10**20}]}})
@example(
    {
        "notifiers": {
            "hook": {"type": "webhook", "url": "https://h.example.com", "timeout_seconds": True}
        }
    }
)
@example(
    {
        "notifiers": {
            "hook": {"type": "webhook", "url": "https://h.example.com", "timeout_seconds": 1e300}
        }
    }
)
def test_a_config_loads_to_something_meaningful_or_is_refused_in_one_line(raw):
    check(yaml.safe_dump(raw, allow_unicode=True))


@SETTINGS
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))
@example("teams: [{name: search, monthly_budget_usd: .inf}]")
@example("a: &a [*a]")
@example("[" * 2000)
@example("\x1f")
@example("alerts: {interval: !!python/object:os.system ls}")
def test_any_text_as_a_config_loads_or_is_refused_in_one_line(text):
    check(text)


# what Hypothesis found: each was accepted, or crashed, or refused in several lines
def _webhook(timeout: str) -> str:
    return f"notifiers: {{hook: {{type: webhook, url: 'https://h.example.com', timeout_seconds: {timeout}}}}}"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (_webhook("true"), "timeout_seconds: expected a number, not true"),
        (_webhook("1e300"), "timeout_seconds: Input should be less than or equal to 3600"),
        (
            "alerts: {rules: [{kind: spend_spike, baseline_days: 100000}]}",
            "less than or equal to 3650",
        ),
        (
            "advisor: {hours_per_month: 1e9}",
            "hours_per_month: Input should be less than or equal to 744",
        ),
        ("a: &a [*a]", "a value contains itself"),
        ("[" * 2000, "nested too deeply"),
        ("\x1f", "unacceptable character #x001f"),
        ('"\\n": 1', "'\\n': unknown key"),
    ],
)
def test_what_hypothesis_found_is_refused_in_one_line(text, reason):
    with pytest.raises(ConfigError) as refused:
        parse_config(text, "genai-monitor.yaml", environ={})
    assert reason in str(refused.value) and "\n" not in str(refused.value)
