"""The states of an alert episode, one enum for the engine, the queries, the CLI and the dashboard."""

from __future__ import annotations

from enum import StrEnum


class AlertState(StrEnum):
    """An alert episode's state; the values are what the database stores."""

    PENDING = "pending"  # the condition holds, but not yet for the rule's `for`
    FIRING = "firing"
    SILENCED = "silenced"  # firing under a silence: nobody is notified
    # the condition holds, but a firing alert of the same group ranks higher (e.g. 100% of a
    # budget over its 50%): not shown by default, nobody is notified (Alertmanager's inhibition)
    INHIBITED = "inhibited"
    RESOLVED = "resolved"


# the states of an episode that has not ended
OPEN_STATES = (AlertState.FIRING, AlertState.PENDING, AlertState.SILENCED, AlertState.INHIBITED)
