"""Provisioned Throughput transform (pure): a List answer -> a life; a missing endpoint -> denied."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.exceptions import EndpointConnectionError

from collector.bedrock_control import list_pages
from collector.provisioned_lives import pt_life
from core.aws import AwsDenied, Target
from core.settings import AttributionConfig

SEEN = datetime(2026, 11, 20, tzinfo=UTC)
SUMMARY = {
    "provisionedModelName": "pt",
    "provisionedModelArn": "arn:aws:bedrock:us-east-1:111111111111:provisioned-model/abc",
    "modelArn": "arn:aws:bedrock:us-east-1:111111111111:custom-model/tuned",
    "desiredModelArn": "arn:aws:bedrock:us-east-1:111111111111:custom-model/tuned",
    "foundationModelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-instant-v1",
    "modelUnits": 3,
    "desiredModelUnits": 3,
    "status": "InService",
    "creationTime": "2026-11-01T00:00:00Z",
    "lastModifiedTime": "2026-11-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("tags", "default_team", "team"),
    [
        ([{"tags": [{"key": "team", "value": "search"}]}], "platform", "search"),
        ([{"tags": [{"key": "team", "value": " "}]}], "platform", "platform"),
        ([], None, "unattributed"),
    ],
)
def test_a_pt_on_a_custom_model_is_priced_as_its_base_and_owned_by_tag_then_account(
    tags, default_team, team
):
    life = pt_life(
        SUMMARY,
        tags,
        target=Target("111111111111", "us-east-1", default_team=default_team),
        attribution=AttributionConfig(),
        seen_at=SEEN,
    )
    assert (life.base_model_id, life.model_units, life.commitment, life.team) == (
        "anthropic.claude-instant-v1",
        3,
        None,
        team,
    )
    assert life.created_at == datetime(2026, 11, 1, tzinfo=UTC)


class Unreachable:
    """A bedrock client of a region without a Bedrock endpoint."""

    class meta:  # noqa: N801 - botocore's attribute name
        region_name = "ap-east-1"
        method_to_api_mapping = {
            "list_provisioned_model_throughputs": "ListProvisionedModelThroughputs"
        }

        class service_model:  # noqa: N801
            service_name = "bedrock"

    def list_provisioned_model_throughputs(self, **_):
        raise EndpointConnectionError(endpoint_url="https://bedrock.ap-east-1.amazonaws.com")


def test_a_region_without_bedrock_is_denied_not_failed():
    with pytest.raises(AwsDenied, match="Bedrock is not offered in ap-east-1"):
        list_pages(Unreachable(), "list_provisioned_model_throughputs")
