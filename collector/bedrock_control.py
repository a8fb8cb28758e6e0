"""The Bedrock control plane's List calls and tags, shared by the PT, custom model and batch sources.

Every List returns the fields these sources store: no per-resource Get follows it. A region
where Bedrock is not offered (no endpoint answers) is reported like a denied one, so the runner
skips that target with a warning instead of failing the cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.aws import AwsDenied, AwsTransient, pages

Page = dict[str, Any]
# botocore's errors when no endpoint exists for the service in the region
NOT_OFFERED = frozenset({"EndpointConnectionError", "UnknownEndpointError"})


def list_pages(client: Any, method: str, **params: Any) -> list[Page]:
    """Every page of one Bedrock List call (``nextToken`` paging)."""
    return list(_translated(pages(client, method, token_param="nextToken", **params), client))


def _translated(answers: Iterator[Page], client: Any) -> Iterator[Page]:
    try:
        yield from answers
    except AwsTransient as exc:
        if exc.code not in NOT_OFFERED:
            raise
        region = client.meta.region_name
        raise AwsDenied(
            "denied",
            exc.service,
            exc.operation,
            "NotOffered",
            f"Bedrock is not offered in {region}",
        ) from exc


def tag_pages(client: Any, arn: str) -> list[Page]:
    """ListTagsForResource's pages for one resource."""
    return list_pages(client, "list_tags_for_resource", resourceARN=arn)
