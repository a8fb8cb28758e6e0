"""Any date, week or duration on the command line either means something (exit 0, or 1 for a run
that failed) or is refused with exit 2 and one error line: never a traceback (Hypothesis)."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.cli import main

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    # the fixture's database and environment serve every example alike
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# one account and region, and an AWS endpoint where nothing listens: a window that passes
# validation fails its one target at once (exit 1) instead of reaching anything
CONFIG = "regions: [us-east-1]\naccounts: [{id: '123456789012'}]\n"
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
OFFSETS = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
)
TIMES = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.builds(
        lambda moment, offset: moment.replace(tzinfo=timezone(offset)).isoformat(),
        st.datetimes(),
        OFFSETS,
    ),
    st.datetimes().map(lambda moment: moment.isoformat() + "Z"),
    TEXT,
)
DURATIONS = st.one_of(st.from_regex(r"\A\s?\d{1,22}\s?[smhdwy]?\s?\Z"), TEXT)
WEEKS = st.one_of(st.from_regex(r"\A\d{1,5}-[Ww]\d{1,3}\Z"), TEXT)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run the CLI in-process on a migrated SQLite database, AWS unreachable on loopback."""
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the discard port
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0

    def run(*args: str) -> int:
        result = runner.invoke(main, list(args))
        # anything but a clean exit is an uncaught exception, i.e. a traceback for the user
        assert isinstance(result.exception, SystemExit | None), (args, result.exception)
        assert result.exit_code in {0, 1, 2}, (args, result.output)
        if result.exit_code == 2:
            lines = [line for line in result.output.splitlines() if line.strip()]
            errors = [line for line in lines if line.startswith("Error: ")]
            assert len(errors) == 1 and lines[-1] == errors[0], (args, result.output)
        assert "Traceback" not in result.output
        return result.exit_code

    return run


@SETTINGS
@given(DURATIONS)
@example("1000000d")
@example("0d")
@example("99999999999999999999d")
def test_collect_since(cli, since):
    cli("collect", "bedrock", "--since", since)


@SETTINGS
@given(TIMES, TIMES)
@example("0001-01-01T00:00:00+01:00", "2026-01-01")
@example("2026-01-01", "9999-12-31T23:59:59-01:00")
@example("1999-12-31", "2000-01-01")
def test_collect_start_end(cli, start, end):
    cli("collect", "bedrock", "--start", start, "--end", end)


@SETTINGS
@given(WEEKS)
@example("0001-W01")
@example("9999-W52")
@example("2026-W99")
def test_report_weekly_week(cli, week):
    cli("report", "weekly", "--week", week)


@SETTINGS
@given(DURATIONS)
@example("1000000000d")
@example("0s")
def test_alerts_silence_add_for(cli, duration):
    cli("alerts", "silence", "add", "--for", duration)


@SETTINGS
@given(
    st.sampled_from(["bedrock-usage", "endpoints", "costs", "alerts", "principals"]), TIMES, TIMES
)
@example("costs", "0001-01-01", "0001-01-02")
@example("alerts", "0001-01-01T00:00:00+01:00", "2026-01-01")
@example("bedrock-usage", "2026-01-01", "9999-12-31T23:00:00-05:00")
@example("principals", "0001-01-01T00:00:00+01:00", "2026-01-01")
def test_export_start_end(cli, kind, start, end):
    cli("export", kind, "--start", start, "--end", end)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        # meaningful, so they run: collect fails its one target on the unreachable AWS (exit 1)
        (["collect", "bedrock", "--since", "3650d"], 1),
        (["collect", "bedrock", "--start", "2000-01-01", "--end", "2026-01-01T00:00+01:00"], 1),
        (["report", "weekly", "--week", "2000-W01"], 0),
        (["alerts", "silence", "add", "--for", "3650d"], 0),
        (["export", "costs", "--start", "2000-01-01", "--end", "2099-12-31"], 0),
        (["export", "alerts", "--start", "2026-01-01T00:00Z", "--end", "2026-02-01"], 0),
        # what Hypothesis found crashing (OverflowError): now refused
        (["collect", "bedrock", "--start", "0001-01-01T00:00:00+01:00"], 2),
        (["export", "alerts", "--start", "0001-01-01T00:00:00+01:00"], 2),
        (["report", "weekly", "--week", "0001-W01"], 2),
    ],
)
def test_meaningful_values_run_and_the_found_crashes_are_refused(cli, args, code):
    assert cli(*args) == code
