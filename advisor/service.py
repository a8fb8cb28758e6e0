"""The advisor with its catalogs loaded once: what the dashboard is handed to price and hint."""

from __future__ import annotations

from advisor.break_even import BreakEven, break_even
from advisor.catalog import HostingCatalog
from advisor.hints import Hint, endpoint_hints
from core.pricing import InstancePriceCatalog, PriceCatalog
from core.settings import AdvisorConfig
from core.usage import EndpointUsage, ModelUsage


class Advisor:
    """Break-even per Bedrock workload and hints per endpoint, on one set of catalogs."""

    def __init__(
        self, prices: PriceCatalog, hosting: HostingCatalog, instances: InstancePriceCatalog
    ) -> None:
        self.prices = prices
        self.hosting = hosting
        self.instances = instances

    @classmethod
    def load(cls, config: AdvisorConfig, prices: PriceCatalog) -> Advisor:
        """The advisor on the shipped hosting and instance catalogs, with the config's overrides."""
        return cls(prices, HostingCatalog.load(config), InstancePriceCatalog.load())

    def break_even(self, usage: ModelUsage) -> BreakEven:
        """One Bedrock workload priced both ways."""
        return break_even(usage, self.prices, self.hosting, self.instances)

    def hints(self, usage: EndpointUsage) -> list[Hint]:
        """Cheaper ways to serve one endpoint's traffic."""
        return endpoint_hints(usage, self.prices, self.hosting, self.instances)
