"""An application inference profile's routing scope, from ListInferenceProfiles' model ARNs."""

import pytest

from core.pricing.bedrock_ids import routed_model_id

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
FM = "arn:aws:bedrock:{}::foundation-model/" + SONNET_45


@pytest.mark.parametrize(
    ("arns", "expected"),
    [
        # copied from the global system profile: its ARN is among the models
        (
            [
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global." + SONNET_45,
                FM.format("us-east-1"),
            ],
            f"global.{SONNET_45}",
        ),
        # a global profile's foundation model has no Region
        ([FM.format("us-east-1"), FM.format("")], f"global.{SONNET_45}"),
        # copied from a geographic profile: the model once per destination Region
        (
            [FM.format("us-east-1"), FM.format("us-east-2"), FM.format("us-west-2")],
            f"us.{SONNET_45}",
        ),
        ([FM.format("eu-west-1"), FM.format("eu-central-1")], f"eu.{SONNET_45}"),
        ([FM.format("us-gov-west-1"), FM.format("us-gov-east-1")], f"us-gov.{SONNET_45}"),
        # one foundation model in one Region: in-region
        ([FM.format("us-east-1")], SONNET_45),
        ([], None),
    ],
)
def test_routed_model_id(arns, expected):
    assert routed_model_id(arns) == expected
