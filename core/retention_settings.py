"""`retention:` in the config: how long each hourly table keeps its hours (absent: for ever).

``hourly`` applies to every hourly table; a table named on its own overrides it. Only the hourly
tables can be named (core.partitions.HOURLY_TABLES): the daily rollups keep the long-window
history and have no retention.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import model_validator

from core.config_types import Duration, Strict
from core.partitions import HOURLY_TABLES

# shorter than a day is surely a typo (24m for 24d): the newest hours are re-collected for hours
MINIMUM = timedelta(days=1)


class RetentionConfig(Strict):
    """Per hourly table, how long its hours are kept; ``hourly`` for every table not named."""

    hourly: Duration | None = None
    bedrock_usage_hourly: Duration | None = None
    endpoint_hourly: Duration | None = None
    provisioned_throughput_hourly: Duration | None = None
    vector_store_hourly: Duration | None = None
    inference_component_hourly: Duration | None = None
    principal_usage_hourly: Duration | None = None

    @model_validator(mode="after")
    def _long_enough(self) -> Self:
        for name in ("hourly", *HOURLY_TABLES):
            keep = getattr(self, name)
            if keep is not None and keep < MINIMUM:
                raise ValueError(f"{name}: expected a retention of at least 1d, got {keep}")
        return self

    def per_table(self) -> dict[str, timedelta]:
        """Each hourly table with a retention -> how long its hours are kept."""
        kept = {table: getattr(self, table) or self.hourly for table in HOURLY_TABLES}
        return {table: keep for table, keep in kept.items() if keep is not None}
