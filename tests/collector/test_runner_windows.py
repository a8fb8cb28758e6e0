from datetime import UTC, datetime, timedelta

from collector.runner import Window, backfill_range, incremental_range, plan_windows
from core.settings import SourceConfig

T = datetime(2026, 11, 10, 14, 25, tzinfo=UTC)


def test_windows_cut_on_fixed_boundaries():
    windows = plan_windows(
        datetime(2026, 11, 1, 18, tzinfo=UTC),
        datetime(2026, 11, 3, 6, tzinfo=UTC),
        timedelta(days=1),
    )
    assert windows == [
        Window(datetime(2026, 11, 1, 18, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)),
        Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),
        Window(datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 3, 6, tzinfo=UTC)),
    ]
    assert plan_windows(T, T, timedelta(days=1)) == []


def test_incremental_range_first_run_reads_initial_backfill():
    settings = SourceConfig(initial_backfill=timedelta(days=7))
    window = incremental_range(None, T, settings)
    assert window.end == datetime(2026, 11, 10, 15, tzinfo=UTC)
    assert window.start == window.end - timedelta(days=7)


def test_incremental_range_rereads_lookback_and_fills_gaps():
    settings = SourceConfig(lookback=timedelta(hours=3))
    assert incremental_range(datetime(2026, 11, 10, 14, tzinfo=UTC), T, settings).start == datetime(
        2026, 11, 10, 11, tzinfo=UTC
    )
    # the collector was down for two days: the whole gap is read
    assert incremental_range(datetime(2026, 11, 8, 9, tzinfo=UTC), T, settings).start == datetime(
        2026, 11, 8, 6, tzinfo=UTC
    )


def test_backfill_range_is_whole_hours_and_never_in_the_future():
    window = backfill_range(
        datetime(2026, 11, 1, 10, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), T
    )
    assert window == Window(
        datetime(2026, 11, 1, 10, tzinfo=UTC), datetime(2026, 11, 10, 15, tzinfo=UTC)
    )
