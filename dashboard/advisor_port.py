"""The advisor as the dashboard sees it: handed in by monitor, since the dashboard imports core only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import current_app

from core.pricing import PriceCatalog
from core.settings import AdvisorConfig
from core.usage import EndpointUsage, ModelUsage

ADVISOR_EXTENSION = "genai-monitor-advisor"


class WorkloadAdvisor(Protocol):
    """What the Advisor page asks of the advisor (``advisor.Advisor`` answers it)."""

    def break_even(self, usage: ModelUsage) -> Any:
        """One Bedrock workload priced both ways."""

    def hints(self, usage: EndpointUsage) -> list[Any]:
        """Cheaper ways to serve one endpoint's traffic."""


AdvisorFactory = Callable[[AdvisorConfig, PriceCatalog], WorkloadAdvisor]


def current_advisor() -> AdvisorFactory | None:
    """The advisor factory the running app was created with, if any."""
    factory: AdvisorFactory | None = current_app.extensions.get(ADVISOR_EXTENSION)
    return factory
