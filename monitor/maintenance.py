"""The storage upkeep `migrate` and `run` share: the hourly tables' partitions created ahead, and
the retention of the config applied (core.partitions does the work)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.db import DatabaseError, error_reason
from core.partitions import apply_retention, maintain_partitions
from core.settings import MonitorConfig
from core.timeutil import utcnow

log = logging.getLogger("genai-monitor.maintenance")


def maintain(engine: Engine, config: MonitorConfig, clock: Callable[[], datetime] = utcnow) -> str:
    """Create the partitions ahead, then expire what the retention says; returns the outcome."""
    now = clock()
    try:
        with engine.begin() as connection:
            created = maintain_partitions(connection, now)
        done = apply_retention(engine, config.retention.per_table(), now)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot maintain the hourly tables: {error_reason(exc)}") from exc
    if created:
        log.info("maintenance: created partitions %s", ", ".join(created))
    for table, what in done.items():
        log.info("maintenance: retention of %s: %s", table, what)
    return "succeeded"
