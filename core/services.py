"""Which AWS billing services count as GenAI spend: one place for the names Cost Explorer and CUR use."""

from __future__ import annotations

from collections.abc import Iterable

BEDROCK_SERVICE = "Amazon Bedrock"
SAGEMAKER_SERVICE = "Amazon SageMaker"
# Marketplace models on Bedrock bill under their own service, e.g.
# "Claude 3.5 Sonnet (Amazon Bedrock Edition)": a filter on "Amazon Bedrock" alone misses them
MARKETPLACE_SUFFIX = "(Amazon Bedrock Edition)"
# IAM principal (and session) tags used as cost allocation tags (since April 2026), in Cost
# Explorer and CUR 2.0: `iamPrincipal/team`
PRINCIPAL_TAG_PREFIX = "iamPrincipal/"


def marketplace_service(model_name: str) -> str:
    """The billing service name of a Marketplace model on Bedrock."""
    return f"{model_name} {MARKETPLACE_SUFFIX}"


def is_bedrock_service(service: str) -> bool:
    """Bedrock itself or one of its Marketplace model services."""
    return service == BEDROCK_SERVICE or service.endswith(MARKETPLACE_SUFFIX)


def is_genai_service(service: str, extra_services: Iterable[str] = ()) -> bool:
    """Whether a billing service counts as GenAI: Bedrock (with Marketplace), SageMaker, the extras."""
    return service in {SAGEMAKER_SERVICE, *extra_services} or is_bedrock_service(service)
