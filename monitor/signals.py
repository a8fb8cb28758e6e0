"""SIGTERM and SIGINT for the long-running commands, caught from the process's first instant.

`genai-monitor run` and `collect` stop after the window they are writing. The handler is
installed before the command line imports anything heavy (``monitor.cli`` calls
:func:`install_early` first), so a signal during start-up, or while the config loads or the
database is checked, is a clean stop too. A second signal stops the process at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

# the commands that stop after the current window instead of where the signal finds them
STOPPABLE = frozenset({"run", "collect"})

_stop = threading.Event()
_received: list[int] = []


def command_of(argv: Sequence[str]) -> str | None:
    """The command a `genai-monitor` command line runs: its first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def install_early(argv: Sequence[str] | None = None) -> None:
    """Catch SIGTERM and SIGINT now if the command line runs a command that stops cleanly."""
    if command_of(sys.argv[1:] if argv is None else argv) in STOPPABLE:
        install()


def install() -> threading.Event:
    """Catch SIGTERM and SIGINT (from the main thread); returns the event they set."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    return _stop


def received() -> int | None:
    """The first signal received, if any."""
    return _received[0] if _received else None


def received_name() -> str:
    """The name of the first signal received (``a stop request`` if none was)."""
    number = received()
    return signal.Signals(number).name if number is not None else "a stop request"


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if _stop.is_set():
        # asked twice: stop now, as the default action would
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _received.append(signum)
    _stop.set()
