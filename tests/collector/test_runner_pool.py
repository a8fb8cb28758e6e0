"""The runner's worker pool: targets fetched alongside, SQLite loads one at a time, each target
still one transaction per window, a stop finishing every running window (both databases)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from collector.bedrock import BedrockCollector
from collector.runner import Runner, TargetPlan, Window, plan_windows
from core.aws import ApiCallCounter, ClientFactory, Target, resolve_targets
from core.models import CollectorRun
from core.pricing import PriceCatalog
from core.settings import SourceConfig
from tests.collector.test_bedrock_collect import CONFIG, START, seed_world, token_totals
from tests.helpers import Clock

T0 = datetime(2026, 10, 1, tzinfo=UTC)


class Probe:
    """A source whose fetches meet at a barrier (so they must run alongside) and whose loads
    count how many run at once."""

    name = "probe"

    def __init__(self, counter: ApiCallCounter, meet: int, calls_per_window: int = 2) -> None:
        self.counter = counter
        self.barrier = threading.Barrier(meet, timeout=20)
        self.meet = meet
        self.calls = calls_per_window
        self.loading = 0
        self.most_loading = 0
        self._lock = threading.Lock()

    @property
    def settings(self) -> SourceConfig:
        return SourceConfig(window=timedelta(hours=1))

    def prepare(self, session, target, start, end):
        return target

    def fetch(self, prepared, start, end, collected_at):
        for _ in range(self.calls):
            self.counter.record("probe", "Get")
        with self._lock:
            self.meet -= 1
            meets = self.meet >= 0
        if meets:  # the first windows fetched: the workers must all be in fetch at once
            self.barrier.wait()
        return prepared

    def transform(self, prepared, fetched, collected_at):
        return fetched

    def load(self, session, transformed):
        with self._lock:
            self.loading += 1
            self.most_loading = max(self.most_loading, self.loading)
        session.execute(select(func.count()).select_from(CollectorRun))
        threading.Event().wait(0.02)  # a load that takes a while: room for another to overlap
        with self._lock:
            self.loading -= 1
        return 1


def plans(count: int, hours: int) -> list[TargetPlan]:
    windows = plan_windows(T0, T0 + timedelta(hours=hours), timedelta(hours=1))
    return [TargetPlan(Target(f"{n:012d}", "us-east-1"), windows) for n in range(count)]


def runs(sessions) -> list[tuple]:
    with sessions() as session:
        rows = session.execute(
            select(CollectorRun.account_id, CollectorRun.window_start, CollectorRun.api_calls)
        )
        return sorted(tuple(row) for row in rows)


def test_workers_fetch_alongside_and_sqlite_loads_take_turns(sessions):
    counter = ApiCallCounter()
    probe = Probe(counter, meet=4)
    runner = Runner(sessions, counter, Clock(T0 + timedelta(days=1)), workers=4)
    result = runner.run(probe, plans(6, 3))  # the first four fetches meet: else the barrier breaks

    assert [o.status for o in result.outcomes] == ["succeeded"] * 6
    assert [o.target.account_id for o in result.outcomes] == [f"{n:012d}" for n in range(6)]
    # each window its own transaction and row, with its own target's calls (not its neighbours')
    assert runs(sessions) == [
        (f"{n:012d}", T0 + timedelta(hours=h), 2) for n in range(6) for h in range(3)
    ]
    assert [o.api_calls for o in result.outcomes] == [6] * 6
    if sessions.kw["bind"].dialect.name == "sqlite":
        assert probe.most_loading == 1


def test_a_stop_lets_every_running_window_finish_and_starts_no_other(sessions):
    counter = ApiCallCounter()
    probe = Probe(counter, meet=2)
    stop = threading.Event()
    runner = Runner(sessions, counter, Clock(T0 + timedelta(days=1)), stop, workers=2)

    result = runner.run(probe, plans(4, 3), lambda _plan, _window: stop.set())

    assert [(o.status, o.windows_done) for o in result.outcomes] == [
        ("stopped", 1),
        ("stopped", 1),
        ("stopped", 0),
        ("stopped", 0),
    ]
    assert [row[:2] for row in runs(sessions)] == [
        ("000000000000", T0),
        ("000000000001", T0),
    ]


def test_a_pool_collects_what_one_worker_does_with_every_call_counted_once(aws, sessions):
    totals = seed_world(hours=72)
    clients = ClientFactory()
    collector = BedrockCollector(CONFIG, clients, PriceCatalog.load({}))
    targets = resolve_targets(CONFIG.accounts, CONFIG.regions, clients)
    end = START + timedelta(hours=72)
    runner = Runner(sessions, clients.counter, Clock(end + timedelta(hours=1)), workers=8)

    result = runner.run(collector, runner.plan(collector, targets, START, end))

    assert not result.failed and len(result.outcomes) == 2
    assert token_totals(sessions) == totals
    with sessions() as session:
        recorded = session.scalar(select(func.sum(CollectorRun.api_calls)))
        windows = session.scalar(select(func.count()).select_from(CollectorRun))
    assert windows == 6
    # every call but the one that found the caller's account was recorded with its window
    calls = clients.counter.total() - clients.counter.count("sts", "GetCallerIdentity")
    assert recorded == calls == sum(o.api_calls for o in result.outcomes)


def test_one_target_is_one_worker(sessions):
    # a single plan, or one worker, runs in the calling thread (nothing to share)
    counter = ApiCallCounter()
    probe = Probe(counter, meet=1)
    seen: list[str] = []
    runner = Runner(sessions, counter, Clock(T0 + timedelta(days=1)), workers=8)
    runner.run(probe, plans(1, 2), lambda _p, _w: seen.append(threading.current_thread().name))
    assert seen == [threading.current_thread().name] * 2
    assert Window(T0, T0 + timedelta(hours=1)) == plans(1, 1)[0].windows[0]
