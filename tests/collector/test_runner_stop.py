"""The runner asked to stop finishes the window it is writing and starts no other; what is
written stays, and the next run completes the same totals (both databases, moto)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from collector.bedrock import BedrockCollector
from collector.runner import Runner
from core.aws import ClientFactory, resolve_targets
from core.models import CollectorRun
from core.pricing import PriceCatalog
from tests.collector.test_bedrock_collect import CONFIG, START, seed_world, token_totals
from tests.helpers import Clock


def test_a_stop_ends_the_run_after_the_current_window(aws, sessions):
    totals = seed_world(hours=72)
    clients = ClientFactory()
    collector = BedrockCollector(CONFIG, clients, PriceCatalog.load({}))
    targets = resolve_targets(CONFIG.accounts, CONFIG.regions, clients)
    end = START + timedelta(hours=72)
    stop = threading.Event()
    runner = Runner(sessions, clients.counter, Clock(end + timedelta(hours=1)), stop)
    plans = runner.plan(collector, targets, START, end)
    assert [len(plan.windows) for plan in plans] == [3, 3]

    result = runner.run(collector, plans, lambda _plan, _window: stop.set())

    first, second = result.outcomes
    assert (first.status, first.windows_done, first.written_until) == (
        "stopped",
        1,
        plans[0].windows[0].end,
    )
    assert (second.status, second.windows_done, second.written_until) == ("stopped", 0, None)
    assert result.stopped == [first, second] and not result.failed
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CollectorRun)) == 1

    again = Runner(sessions, clients.counter, Clock(end + timedelta(hours=1)))
    assert not again.run(collector, again.plan(collector, targets, START, end)).stopped
    assert token_totals(sessions) == totals
