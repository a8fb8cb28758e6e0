from core.settings import AttributionConfig, ProfileMapping
from core.teams import InferenceProfile, attribute_model, index_profiles

HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"


def _profile(tags):
    return InferenceProfile(
        profile_id="abc123",
        arn=PROFILE_ARN,
        base_model_id=f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        tags=tags,
    )


def test_profile_tag_wins_over_config_and_account():
    config = AttributionConfig(inference_profiles={"abc123": ProfileMapping(team="from-config")})
    profiles = index_profiles([_profile({"team": "search"})])
    for model_id in ("abc123", PROFILE_ARN):
        owner = attribute_model(model_id, profiles, config, default_team="account-team")
        assert (owner.team, owner.base_model_id) == ("search", HAIKU)


def test_config_mapping_used_when_profile_untagged_or_unlisted():
    config = AttributionConfig(
        inference_profiles={"abc123": ProfileMapping(team="support", model=HAIKU)}
    )
    untagged = index_profiles([_profile({"team": "  "})])
    assert attribute_model(PROFILE_ARN, untagged, config).team == "support"
    owner = attribute_model(PROFILE_ARN, {}, config)
    assert (owner.team, owner.base_model_id) == ("support", HAIKU)


def test_custom_tag_key():
    config = AttributionConfig(tag_key="cost-center")
    profiles = index_profiles([_profile({"team": "ignored", "cost-center": "cc-42"})])
    assert attribute_model("abc123", profiles, config).team == "cc-42"


def test_account_default_then_unattributed():
    config = AttributionConfig()
    assert attribute_model(f"us.{HAIKU}", {}, config, default_team="data").team == "data"
    owner = attribute_model(f"us.{HAIKU}", {}, config)
    assert (owner.team, owner.base_model_id) == ("unattributed", HAIKU)
