"""The Mantle endpoint (bedrock-mantle: the OpenAI-compatible Responses and Chat Completions APIs
and the Anthropic Messages API) publishes its usage in CloudWatch namespace AWS/BedrockMantle,
not AWS/Bedrock. The bedrock source reads both namespaces in the same GetMetricData batches;
this module holds what is Mantle's own (pure).

AWS/BedrockMantle publishes at four levels: account (no dimension), ``Project``, ``Model`` and
``Project`` + ``Model``. Only the ``Model`` level is read: it carries every token metric
(``TotalInputTokens``/``TotalOutputTokens`` are not published at the Project + Model level)
and is what prices a token. A Mantle row is stored under ``model_id`` ``mantle:<Model>`` (so
the same model called through both endpoints keeps two rows an hour) with ``endpoint``
``bedrock-mantle``.
"""

from __future__ import annotations

from collections.abc import Iterable

from collector.cloudwatch import MetricSeries, Page, metric_dimensions

NAMESPACE = "AWS/BedrockMantle"
DIMENSION = "Model"
ENDPOINT = "bedrock-mantle"
MARKER = "mantle:"
# CloudWatch metric -> (column, statistic); all are counts
METRICS: dict[str, tuple[str, str]] = {
    "Inferences": ("invocations", "Sum"),
    "TotalInputTokens": ("input_tokens", "Sum"),
    "TotalOutputTokens": ("output_tokens", "Sum"),
    "InferenceClientErrors": ("client_errors", "Sum"),
}


def stored_model_id(model: str) -> str:
    """The ``model_id`` a Mantle model's rows are stored under."""
    return f"{MARKER}{model}"


def mantle_model(model_id: str) -> str | None:
    """The Mantle model of a stored ``model_id``, or None for a bedrock-runtime row."""
    return model_id[len(MARKER) :] if model_id.startswith(MARKER) else None


def series_for_models(
    models: Iterable[str], present: set[tuple[str, str]] | None = None
) -> list[MetricSeries]:
    """The Model-level series of these models: every metric, or only those ListMetrics listed."""
    result = []
    for model in sorted(set(models)):
        for metric, (_column, stat) in METRICS.items():
            if present is None or (metric, model) in present:
                result.append(MetricSeries(NAMESPACE, metric, ((DIMENSION, model),), stat))
    return result


def plan_series(list_metrics: Iterable[Page], stored: Iterable[str]) -> list[MetricSeries]:
    """The Model-level series ListMetrics lists, and every metric of the stored Mantle models it
    no longer lists (ListMetrics forgets metrics quiet for two weeks)."""
    present: set[tuple[str, str]] = set()
    for metric, dimensions in metric_dimensions(list_metrics, [DIMENSION]):
        if metric in METRICS:
            present.add((metric, dict(dimensions)[DIMENSION]))
    listed = {model for _metric, model in present}
    quiet = {model for model in map(mantle_model, stored) if model is not None} - listed
    return series_for_models(listed, present) + series_for_models(quiet)
