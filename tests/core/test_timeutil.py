from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.timeutil import ceil_hour, floor_hour, iso_utc, parse_duration, parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "h", "1.5h", "-3h", "3 days"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_hours_are_utc_and_offsets_converted():
    local = datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    assert floor_hour(local) == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert ceil_hour(local) == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert ceil_hour(datetime(2026, 3, 1, 9, tzinfo=UTC)) == datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_parse_timestamp_and_iso():
    assert parse_timestamp("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_timestamp("2026-11-01T13:00Z") == datetime(2026, 11, 1, 13, tzinfo=UTC)
    assert parse_timestamp("2026-11-01T13:00+01:00") == datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert iso_utc(datetime(2026, 11, 1, 12, tzinfo=UTC)) == "2026-11-01T12:00:00Z"
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_timestamp("yesterday")
