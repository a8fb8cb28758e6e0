"""Bedrock model ids: the foundation model behind an id, and how a call with it is routed.

A ModelId reaches the monitor as a foundation model id, a system inference profile id with a
geography (``us.``, ``eu.``, ``apac.``, ``jp.``, ``au.``, ``ca.``, ``in.``, ``us-gov.``) or
``global.`` prefix, an ARN of either, or a CloudWatch variant such as ``...+latency-optimized``
or a context-length suffix (``:0:512``, ``:0:18k``, ``:200k``, ``:mm``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

GLOBAL = "global"
GEOGRAPHIC = "geo"
IN_REGION = "in-region"
LATENCY_OPTIMIZED = "+latency-optimized"

# Cross-region inference profiles prefix the model id with a geography or "global".
_PREFIX = re.compile(r"^(us-gov|us|eu|apac|jp|au|ca|in|global)\.(?=[a-z0-9-]+\.)")
# A context-window or modality variant is priced like its base model: "x-v1:0:512" -> "x-v1:0".
_CONTEXT_SUFFIX = re.compile(r"^(.+:\d+):(?:\d+k?|mm)$")
_WINDOW_SUFFIX = re.compile(r":(?:\d+k|mm)$")
_VERSION = re.compile(r":\d+$")
# Source-region prefix -> the geography whose profiles route from it.
_GEOGRAPHIES = (("us-gov-", "us-gov"), ("us-", "us"), ("eu-", "eu"), ("ca-", "ca"), ("ap-", "apac"))


@dataclass(frozen=True)
class ModelRef:
    """A foundation model and the way one call reached it."""

    base: str
    scope: str = IN_REGION
    geography: str | None = None
    latency_optimized: bool = False
    # A variant's id without its version too ("cohere.embed-english-v3:0:512" -> "...-v3").
    fallback_base: str | None = None

    def bases(self) -> tuple[ModelRef, ...]:
        """This ref, then the same call on the variant's unversioned base model, if any."""
        if self.fallback_base is None:
            return (self,)
        return (self, replace(self, base=self.fallback_base, fallback_base=None))

    @property
    def routed_id(self) -> str:
        """The id with its routing prefix, as a system inference profile would name it."""
        if self.scope == GLOBAL:
            return f"global.{self.base}"
        if self.geography:
            return f"{self.geography}.{self.base}"
        return self.base


def arn_resource_id(model_id: str) -> str:
    """The resource id in an ARN (``.../foundation-model/X`` -> ``X``); other ids unchanged."""
    if not model_id.startswith("arn:"):
        return model_id
    resource = model_id.split(":", 5)[-1]
    return resource.split("/", 1)[1] if "/" in resource else resource


def strip_variant(model_id: str) -> str:
    """The model id without a context-length or modality suffix."""
    match = _CONTEXT_SUFFIX.match(model_id)
    return match.group(1) if match else _WINDOW_SUFFIX.sub("", model_id)


def parse_model_id(model_id: str) -> ModelRef:
    """Split a ModelId into its foundation model, routing scope and variant flags (pure)."""
    candidate = arn_resource_id(model_id)
    latency = candidate.endswith(LATENCY_OPTIMIZED)
    if latency:
        candidate = candidate[: -len(LATENCY_OPTIMIZED)]
    match = _PREFIX.match(candidate)
    prefix = match.group(1) if match else None
    unprefixed = candidate[match.end() :] if match else candidate
    base = strip_variant(unprefixed)
    fallback = _VERSION.sub("", base) if base != unprefixed else None
    fallback = fallback if fallback != base else None
    if prefix == GLOBAL:
        return ModelRef(base, GLOBAL, None, latency, fallback)
    if prefix is not None:
        return ModelRef(base, GEOGRAPHIC, prefix, latency, fallback)
    return ModelRef(base, IN_REGION, None, latency, fallback)


def strip_routing_prefix(model_id: str) -> str:
    """The model id without its geography or ``global.`` prefix."""
    return _PREFIX.sub("", model_id)


def geography_of(region: str) -> str | None:
    """The geography of a source region's cross-region profiles (``eu-west-1`` -> ``eu``)."""
    for prefix, geography in _GEOGRAPHIES:
        if region.startswith(prefix):
            return geography
    return None


def routed_model_id(model_arns: list[str]) -> str | None:
    """The model and routing scope of an application inference profile, from its ``models`` ARNs.

    A profile copied from a system profile lists that profile's ARN (``.../inference-profile/
    global.X``), or the foundation model once per destination Region; a ``global.`` profile's
    foundation-model ARN has no Region (``arn:aws:bedrock:::foundation-model/X``). One
    foundation-model ARN in one Region means the profile calls the model in that Region.
    """
    if not model_arns:
        return None
    for arn in model_arns:
        if ":inference-profile/" in arn:
            return arn_resource_id(arn)
    base = arn_resource_id(model_arns[0])
    regions = {arn.split(":")[3] for arn in model_arns if arn.startswith("arn:")}
    if "" in regions:
        return f"global.{base}"
    if len(regions) > 1:
        geography = geography_of(sorted(regions)[0])
        return f"{geography}.{base}" if geography else base
    return base
