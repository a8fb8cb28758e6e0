"""The recorded raw answers in tests/data/aws are in the shape AWS answers (botocore's model)."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from tests.collector.answers import DATA, load_answer

# file -> (botocore service, operation, layout): "pages" is a list of answers, "by_key" maps a
# request parameter to one answer, "pages_by_key" maps it to a list of answers
RECORDED = {
    ("cloudwatch", "bedrock_list_metrics"): ("cloudwatch", "ListMetrics", "pages"),
    ("cloudwatch", "bedrock_get_metric_data"): ("cloudwatch", "GetMetricData", "pages"),
    ("cloudwatch", "sagemaker_get_metric_data"): ("cloudwatch", "GetMetricData", "pages"),
    ("bedrock", "list_inference_profiles"): ("bedrock", "ListInferenceProfiles", "pages"),
    ("bedrock", "list_tags_for_resource"): ("bedrock", "ListTagsForResource", "pages_by_key"),
    ("sagemaker", "list_endpoints"): ("sagemaker", "ListEndpoints", "pages"),
    ("sagemaker", "describe_endpoint"): ("sagemaker", "DescribeEndpoint", "by_key"),
    ("sagemaker", "describe_endpoint_config"): ("sagemaker", "DescribeEndpointConfig", "by_key"),
    ("sagemaker", "describe_model"): ("sagemaker", "DescribeModel", "by_key"),
    ("sagemaker", "list_tags"): ("sagemaker", "ListTags", "pages_by_key"),
    ("application-autoscaling", "describe_scalable_targets"): (
        "application-autoscaling",
        "DescribeScalableTargets",
        "pages_by_key",
    ),
    ("ce", "get_cost_and_usage_monthly"): ("ce", "GetCostAndUsage", "pages"),
    ("ce", "get_cost_and_usage_daily"): ("ce", "GetCostAndUsage", "pages"),
    ("cloudwatch", "mantle_list_metrics"): ("cloudwatch", "ListMetrics", "pages"),
    ("opensearchserverless", "batch_get_collection"): (
        "opensearchserverless",
        "BatchGetCollection",
        "pages",
    ),
    ("opensearchserverless", "list_tags_for_resource"): (
        "opensearchserverless",
        "ListTagsForResource",
        "pages_by_key",
    ),
    ("bedrock-agent", "get_knowledge_base"): ("bedrock-agent", "GetKnowledgeBase", "by_key"),
}


def _answers(data: Any, layout: str) -> list[dict[str, Any]]:
    if layout == "pages":
        return list(data)
    if layout == "by_key":
        return list(data.values())
    return [page for pages in data.values() for page in pages]


def test_every_recorded_file_is_listed():
    files = {(path.parent.name, path.stem) for path in DATA.glob("*/*.json")}
    assert files == set(RECORDED)


@pytest.mark.parametrize(("directory", "name"), sorted(RECORDED))
def test_a_recorded_answer_validates_against_the_operations_output_shape(directory, name):
    service, operation, layout = RECORDED[(directory, name)]
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).output_shape
    answers = _answers(load_answer(directory, name), layout)
    assert answers
    for answer in answers:
        report = ParamValidator().validate(answer, shape)
        assert not report.has_errors(), report.generate_report()
