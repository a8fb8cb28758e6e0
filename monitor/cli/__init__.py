"""The `genai-monitor` command line: exit 0 on success, 2 on bad usage or config, 1 on a failed run.

One module per command group; each command parses its options, calls one core or service
function and formats the answer. ``main`` is the console script's entry point.
"""

from __future__ import annotations

# first, before the heavy imports below: a SIGTERM while `run` or `collect` starts is a clean stop
from monitor.signals import install_early

install_early()

from monitor.cli import (  # noqa: E402 - after the signal handlers
    act,
    advise,
    alerts,
    attribution,
    budgets,
    collect,
    config,
    dashboard,
    demo,
    export,
    migrate,
    prices,
    prices_show,
    report,
    run,
    waste,
)
from monitor.cli.base import BadConfig, Failure, main  # noqa: E402

_ = prices_show  # attaches `prices show` to the `prices` group

for _command in (
    migrate.migrate,
    config.config,
    collect.collect,
    advise.advise,
    export.export,
    budgets.budgets,
    run.run,
    demo.demo,
    dashboard.dashboard_command,
    report.report,
    alerts.alerts_group,
    prices.prices,
    waste.waste,
    act.act,
    attribution.attribution,
):
    main.add_command(_command)

__all__ = ["BadConfig", "Failure", "main"]
