"""How `collection`'s targets are collected: workers per process, AWS retry mode, rate limits."""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import Field

from core.config_types import Strict


class CollectionOptions(Strict):
    """`collection.workers`, `collection.retry_mode` and `collection.rate_limits` (the sources'
    own settings sit beside them, see core.settings.CollectionConfig)."""

    # targets collected at once by one process (`run` and `collect`); None: min(8, 4 x cores)
    workers: int | None = Field(default=None, ge=1, le=256, strict=True)
    retry_mode: Literal["adaptive", "standard"] = "adaptive"
    # calls per second per (account, region) by `service` or `service:Operation`, over the
    # defaults of core.rate_limit; 0 lifts a limit
    rate_limits: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)

    @property
    def worker_count(self) -> int:
        """The configured workers, else as many as the machine's cores keep busy (at most 8)."""
        return self.workers or min(8, 4 * (os.cpu_count() or 1))
