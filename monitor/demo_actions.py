"""The demo's action history: the configured policies run hour by hour over the last days, with
the real engine against the stand-in, then SageMaker is collected again so the monitor sees what
they stopped and restored (the Waste page's savings, the audit, the endpoints' lives)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.claims import Claims
from core.timeutil import floor_hour
from monitor.context import AppContext

HISTORY = timedelta(days=4)  # long enough for a notice and a weekend whatever the weekday
CYCLE = timedelta(hours=1)
ACTED_ON = ("sagemaker", "provisioned_throughput")


def constant(moment: datetime) -> Callable[[], datetime]:
    """A clock stopped at ``moment``: the engine audits each cycle's actions at its time."""
    return lambda: moment


def act_over_history(app: AppContext, now: datetime, progress: Callable[[str], None]) -> int:
    """Run every policy once per hour from ``now - HISTORY`` to ``now``; the actions taken."""
    from collector.runner import Runner
    from monitor.policies import engine_performer, run_cycle

    if not (app.config.actions.enabled and app.config.actions.policies):
        return 0
    sessions = app.database()
    claims = Claims(app.engine)
    acted = 0
    cycle = floor_hour(now - HISTORY)
    while cycle <= now:
        perform = engine_performer(sessions, app.clients, app.config, clock=constant(cycle))
        report = run_cycle(sessions, perform, app.config, claims, cycle, cycle, CYCLE)
        acted += report.count("act")
        cycle += CYCLE
    progress(f"acted on waste: {acted} action(s) by the policies over {HISTORY.days} days")
    runner = Runner(sessions, app.clients.counter, lambda: now)
    for name in ACTED_ON:  # the sources of what the policies stop: their lives end, or begin again
        source = app.sources()[name]
        runner.run(source, runner.plan(source, source.targets(app.targets()), now - CYCLE, now))
    return acted
