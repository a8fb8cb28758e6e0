"""The advisor's catalog: self-hosting assumptions (advisor/hosting.yaml) and how figures cite them.

Every figure carries the assumptions it was computed from (``Assumption``), each naming the
catalog entry or config key it comes from, so a number on screen can be traced and changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

import yaml

from core.pricing import InstancePriceCatalog, foundation_model_id
from core.settings import AdvisorConfig

MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")
SECONDS_PER_HOUR = Decimal(3600)
CATALOG_FILE = "advisor/hosting.yaml"


def usd(value: Decimal) -> Decimal:
    """Money rounded to the cent, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Assumption:
    """One input of a figure: what it is, its value, and where it is set."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class ServingOption:
    """One instance type able to serve a model family, its throughput and its price."""

    family: str
    instance_type: str
    input_tps: Decimal
    output_tps: Decimal
    hourly_usd: Decimal
    throughput_source: str
    price_source: str

    def seconds_for(self, input_tokens: Decimal, output_tokens: Decimal) -> Decimal:
        """Instance-seconds needed to process some tokens at full speed."""
        return input_tokens / self.input_tps + output_tokens / self.output_tps

    def assumptions(self, region: str) -> list[Assumption]:
        """Where this option's numbers come from."""
        return [
            Assumption(
                f"{self.instance_type} input throughput",
                f"{self.input_tps} tokens/s",
                self.throughput_source,
            ),
            Assumption(
                f"{self.instance_type} output throughput",
                f"{self.output_tps} tokens/s",
                self.throughput_source,
            ),
            Assumption(
                f"{self.instance_type} price in {region}",
                f"${self.hourly_usd}/hour",
                f"core/prices/sagemaker.yaml ({self.price_source})",
            ),
        ]


@dataclass(frozen=True)
class Family:
    """An open-weight model family that Bedrock offers and SageMaker can host."""

    name: str
    description: str
    bedrock_models: tuple[str, ...]
    serving: tuple[dict[str, Any], ...]


class HostingCatalog:
    """The self-hosting assumptions of advisor/hosting.yaml, with the config's overrides."""

    def __init__(
        self, families: dict[str, Family], source: str, as_of: str, config: AdvisorConfig
    ) -> None:
        self.families = families
        self.source = f"{source}, {as_of}"
        self.config = config

    @classmethod
    def load(cls, config: AdvisorConfig) -> HostingCatalog:
        """Load the shipped hosting catalog."""
        data = yaml.safe_load(
            resources.files("advisor").joinpath("hosting.yaml").read_text(encoding="utf-8")
        )
        return cls.from_data(data, config)

    @classmethod
    def from_data(cls, data: dict[str, Any], config: AdvisorConfig) -> HostingCatalog:
        """Build the catalog from parsed data (the shape of advisor/hosting.yaml)."""
        families = {
            name: Family(
                name,
                entry.get("description", name),
                tuple(entry.get("bedrock_models", [])),
                tuple(entry.get("serving", [])),
            )
            for name, entry in (data.get("families") or {}).items()
        }
        return cls(
            families, str(data.get("source", "unknown")), str(data.get("as_of", "unknown")), config
        )

    def family_of_model(self, model_id: str) -> Family | None:
        """The family a Bedrock model belongs to, or None (closed models have none)."""
        base = foundation_model_id(model_id)
        return next(
            (family for family in self.families.values() if base in family.bedrock_models), None
        )

    def options(
        self, family: Family, instances: InstancePriceCatalog, region: str
    ) -> list[ServingOption]:
        """The priced serving options of a family in a region, cheapest first."""
        options = []
        for entry in family.serving:
            instance_type = entry["instance_type"]
            price = instances.price(instance_type, region)
            if price is None:
                continue
            override = self.config.throughput_overrides.get(family.name, {}).get(instance_type)
            input_tps = Decimal(str(override.input_tps if override else entry["input_tps"]))
            output_tps = Decimal(str(override.output_tps if override else entry["output_tps"]))
            source = (
                f"config advisor.throughput_overrides.{family.name}.{instance_type}"
                if override
                else f"{CATALOG_FILE} families.{family.name} ({self.source})"
            )
            options.append(
                ServingOption(
                    family.name,
                    instance_type,
                    input_tps,
                    output_tps,
                    price.hourly,
                    source,
                    f"{price.source}, {price.as_of}",
                )
            )
        return sorted(options, key=lambda option: (option.hourly_usd, option.instance_type))
