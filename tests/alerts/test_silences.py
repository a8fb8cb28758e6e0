"""Silences stored, listed and ended in the caller's transaction, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.silences import add_silence, end_silence, list_silences

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def add(sessions, starts_at, hours, rule=None):
    with sessions.begin() as session:
        entry = add_silence(
            session,
            rule=rule,
            subject_pattern="*/us-east-1/search-*",
            team="search",
            starts_at=starts_at,
            duration=timedelta(hours=hours),
            created_by="ops",
            comment="maintenance",
        )
        return entry.id


def test_silences_are_added_listed_while_active_and_ended_now(sessions):
    expired = add(sessions, NOW - timedelta(days=2), 1)
    active = add(sessions, NOW, 4, rule="idle_endpoint")
    with sessions() as session:
        assert [s.id for s in list_silences(session, NOW)] == [active]
        assert [s.id for s in list_silences(session, NOW, include_expired=True)] == [
            expired,
            active,
        ]
        [entry] = list_silences(session, NOW)
        assert (entry.rule, entry.team, entry.created_by, entry.comment) == (
            "idle_endpoint",
            "search",
            "ops",
            "maintenance",
        )
        assert entry.ends_at.replace(tzinfo=UTC) == NOW + timedelta(hours=4)

    later = NOW + timedelta(hours=1)
    with sessions.begin() as session:
        assert end_silence(session, active, later) is not None
        # an ended silence keeps the time it ended
        assert end_silence(session, expired, later) is not None
        assert end_silence(session, 999, later) is None
    with sessions() as session:
        assert list_silences(session, later) == []
        ends = {s.id: s.ends_at.replace(tzinfo=UTC) for s in list_silences(session, later, True)}
    assert ends == {expired: NOW - timedelta(days=2) + timedelta(hours=1), active: later}
