"""What a workload or an endpoint did over a window: the read side's answer the advisor prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ModelUsage:
    """A Bedrock model's (or profile's) observed traffic over a window."""

    model_id: str
    base_model_id: str
    team: str
    region: str
    hours: int  # hours in the observed window
    input_tokens: int
    output_tokens: int
    peak_hour_input_tokens: int
    peak_hour_output_tokens: int


@dataclass(frozen=True)
class EndpointUsage:
    """A SageMaker endpoint's observed traffic and cost over a window."""

    endpoint_name: str
    account_id: str
    region: str
    team: str
    endpoint_type: str
    instance_type: str | None
    instance_count: int
    hours_in_service: Decimal
    invocations: int
    peak_hour_invocations: int
    hours_without_calls: Decimal
    cost_usd: Decimal | None
