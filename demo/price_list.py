"""The AWS Price List Query API for the demo and the tests: GetProducts and DescribeServices.

moto does not serve the `pricing` API. This stand-in answers it on a loopback port in its real
shape (JSON 1.1, ``X-Amz-Target: AWSPriceListService.<Operation>``; each PriceList entry a
JSON *string*; NextToken/MaxResults pages; TERM_MATCH filters) from products modelled on real
ones across every service code the project reads, several regions and tiers. Point a client at
it with ``AWS_ENDPOINT_URL_PRICING``. ``answer`` is pure; ``price_list_server`` serves it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from demo.json_api import Answerer, json_api_server

EFFECTIVE = "2025-09-01T00:00:00Z"
PAGE_SIZE = 10
PREFIXES = {
    "us-east-1": "USE1",
    "us-west-2": "USW2",
    "eu-west-1": "EU",
    "eu-central-1": "EUC1",
    "ap-northeast-1": "APN1",
    "us-gov-west-1": "UGW1",
}
# the SKU of the product whose price cannot be read (the tests look for it in the report)
MALFORMED_SKU = "MALFORMED0000001"


def _sku(attributes: Mapping[str, str]) -> str:
    digest = hashlib.sha256(json.dumps(attributes, sort_keys=True).encode()).hexdigest()
    return digest[:16].upper()


def product(
    attributes: dict[str, str],
    unit: str,
    usd: str,
    effective: str = EFFECTIVE,
    family: str = "",
) -> dict[str, Any]:
    """One product in the Price List's shape: attributes, one on-demand offer, one dimension."""
    sku = _sku(attributes)
    offer = f"{sku}.JRTCKXETXF"
    return {
        "product": {"productFamily": family, "attributes": attributes, "sku": sku},
        "serviceCode": attributes["servicecode"],
        "terms": {
            "OnDemand": {
                offer: {
                    "priceDimensions": {
                        f"{offer}.6YS6EN2CT7": {
                            "unit": unit,
                            "endRange": "Inf",
                            "description": f"${usd} per {unit} for {attributes['usagetype']}",
                            "appliesTo": [],
                            "rateCode": f"{offer}.6YS6EN2CT7",
                            "beginRange": "0",
                            "pricePerUnit": {"USD": usd},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": effective,
                    "offerTermCode": "JRTCKXETXF",
                    "termAttributes": {},
                }
            }
        },
        "version": effective[:10].replace("-", "") + "000000",
        "publicationDate": effective,
    }


def sagemaker(region: str, instance: str, usd: str, effective: str = EFFECTIVE) -> dict[str, Any]:
    """A SageMaker real-time hosting instance-hour."""
    attributes = {
        "servicecode": "AmazonSageMaker",
        "regionCode": region,
        "location": region,
        "component": "Hosting",
        "instanceName": instance,
        "usagetype": f"{PREFIXES[region]}-Host:{instance}",
        "operation": "RunInstance",
    }
    return product(attributes, "Hrs", usd, effective, family="ML Instance")


def serverless(region: str, memory_gb: int, usd: str, effective: str = EFFECTIVE) -> dict[str, Any]:
    """SageMaker serverless inference compute: one product per memory size, priced per second
    of that size (us-east-1 lists 1 GB at $0.00002 per second, 4 GB at $0.00008)."""
    attributes = {
        "servicecode": "AmazonSageMaker",
        "regionCode": region,
        "location": region,
        "component": "ServerlessInference",
        "usagetype": f"{PREFIXES[region]}-ServerlessInf:Mem-{memory_gb}GB",
        "operation": "RunInstance",
    }
    return product(attributes, "Second", usd, effective, family="ML Serverless Inference")


def bedrock(
    region: str,
    model: str,
    usage: str,
    usd: str,
    inference: str = "On-demand Inference",
    effective: str = EFFECTIVE,
) -> dict[str, Any]:
    """A first-party Bedrock product (AmazonBedrock), per 1K tokens (model units per hour)."""
    attributes = {
        "servicecode": "AmazonBedrock",
        "regionCode": region,
        "model": model,
        "inferenceType": inference,
        "usagetype": f"{PREFIXES[region]}-{model.replace(' ', '')}-{usage}",
    }
    unit = "Hrs" if usage.endswith("ModelUnits") else "1K tokens"
    return product(attributes, unit, usd, effective, family="Amazon Bedrock")


def bedrock_service(region: str, model: str, usage: str, usd: str) -> dict[str, Any]:
    """A Bedrock product of AmazonBedrockService (recent Claude, with routing scope), per 1K."""
    attributes = {
        "servicecode": "AmazonBedrockService",
        "regionCode": region,
        "model": model,
        "usagetype": f"{PREFIXES[region]}-{model.replace(' ', '')}-{usage}",
    }
    return product(attributes, "1K tokens", usd, family="Amazon Bedrock Service")


def marketplace(region: str, model: str, usage: str, usd: str) -> dict[str, Any]:
    """A Marketplace-sold model (AmazonBedrockFoundationModels), per million tokens."""
    prefix = PREFIXES[region]
    attributes = {
        "servicecode": "AmazonBedrockFoundationModels",
        "regionCode": region,
        "servicename": f"{model} (Amazon Bedrock Edition)",
        "usagetype": f"{prefix}-MP:{prefix}_{usage}-Units",
    }
    return product(attributes, "Units", usd, family="Bedrock Foundation Model")


def opensearch(region: str, usage: str, unit: str, usd: str) -> dict[str, Any]:
    """An AmazonES product: an OpenSearch Serverless OCU-hour, or a domain's instance-hour."""
    attributes = {
        "servicecode": "AmazonES",
        "regionCode": region,
        "location": region,
        "usagetype": f"{PREFIXES[region]}-{usage}",
        "operation": "ESDomain" if "ESInstance" in usage else "",
    }
    return product(attributes, unit, usd, family="Amazon OpenSearch Service")


def _malformed() -> dict[str, Any]:
    broken = bedrock("us-east-1", "Nova Lite", "input-tokens", "not-a-number")
    broken["product"]["sku"] = MALFORMED_SKU
    return broken


def _serverless_compute() -> list[dict[str, Any]]:
    """Serverless compute for every memory size in us-east-1 (the list price), and two sizes in
    eu-west-1 at an illustrative regional rate ($0.0000224 per GB-second: test data, unchecked)."""
    listed = [serverless("us-east-1", gb, str(Decimal("0.00002") * gb)) for gb in range(1, 7)]
    return listed + [serverless("eu-west-1", gb, str(Decimal("0.0000224") * gb)) for gb in (2, 4)]


def products(price_change: str | None = None) -> list[dict[str, Any]]:
    """The stand-in's products; ``price_change`` (an ISO date) serves Llama 3 8B's us-east-1
    input price and ml.g5.4xlarge's eu-west-1 hourly price raised from that day on, as the
    Price List shows after a change."""
    llama_input = bedrock(
        "us-east-1",
        "Llama 3 8B Instruct",
        "input-tokens",
        "0.0004" if price_change else "0.0003",
        effective=f"{price_change}T00:00:00Z" if price_change else EFFECTIVE,
    )
    return [
        sagemaker("us-east-1", "ml.g4dn.12xlarge", "4.89"),
        sagemaker("us-east-1", "ml.g5.4xlarge", "2.03"),
        sagemaker("us-west-2", "ml.g5.4xlarge", "2.03"),
        sagemaker(
            "eu-west-1",
            "ml.g5.4xlarge",
            "2.50" if price_change else "2.27",
            effective=f"{price_change}T00:00:00Z" if price_change else EFFECTIVE,
        ),
        sagemaker("us-east-1", "ml.m5.xlarge", "0.23"),
        *_serverless_compute(),
        llama_input,
        bedrock("us-east-1", "Llama 3 8B Instruct", "output-tokens", "0.0006"),
        bedrock("eu-west-1", "Llama 3 8B Instruct", "input-tokens", "0.00039"),
        bedrock("eu-west-1", "Llama 3 8B Instruct", "output-tokens", "0.00078"),
        bedrock("us-east-1", "Nova Pro", "input-tokens", "0.0008"),
        bedrock("us-east-1", "Nova Pro", "output-tokens", "0.0032"),
        bedrock("us-east-1", "Nova Pro", "cache-read-input-token-count", "0.0002"),
        bedrock("us-east-1", "Nova Pro", "input-tokens-batch", "0.0004", inference="Batch"),
        bedrock("us-east-1", "Nova Pro", "output-tokens-batch", "0.0016", inference="Batch"),
        # Nova where `eu.` / `apac.` profiles and GovCloud bill (source-Region prices): the
        # figures are illustrative test data, not checked against the real Price List
        bedrock("eu-central-1", "Nova Pro", "input-tokens", "0.00105"),
        bedrock("eu-central-1", "Nova Pro", "output-tokens", "0.0042"),
        bedrock("ap-northeast-1", "Nova Lite", "input-tokens", "0.00008"),
        bedrock("ap-northeast-1", "Nova Lite", "output-tokens", "0.00032"),
        bedrock("us-gov-west-1", "Nova Pro", "input-tokens", "0.00096"),
        bedrock("us-gov-west-1", "Nova Pro", "output-tokens", "0.00384"),
        bedrock("us-west-2", "Nova Micro", "input-tokens", "0.000035"),
        bedrock("us-west-2", "Nova Micro", "output-tokens", "0.00014"),
        bedrock(
            "us-east-1",
            "Nova Pro",
            "ProvisionedThroughput-ModelUnits",
            "21.18",
            inference="Provisioned Throughput",
        ),
        bedrock_service("us-east-1", "Claude Sonnet 4.5", "input-tokens", "0.0033"),
        bedrock_service("us-east-1", "Claude Sonnet 4.5", "output-tokens", "0.0165"),
        bedrock_service(
            "us-east-1", "Claude Sonnet 4.5", "input-tokens-cross-region-global", "0.003"
        ),
        bedrock_service(
            "us-east-1", "Claude Sonnet 4.5", "output-tokens-cross-region-global", "0.015"
        ),
        bedrock_service("us-east-1", "Claude Sonnet 4.5", "input-tokens-flex", "0.00165"),
        bedrock_service("us-east-1", "Claude Sonnet 4.5", "input-tokens-priority", "0.00578"),
        marketplace("us-east-1", "Claude Haiku 4.5", "InputTokenCount", "1.10"),
        marketplace("us-east-1", "Claude Haiku 4.5", "OutputTokenCount", "5.50"),
        marketplace("us-east-1", "Claude Haiku 4.5", "CacheReadInputTokenCount", "0.11"),
        marketplace("us-east-1", "Claude Haiku 4.5", "CacheWriteInputTokenCount", "1.375"),
        marketplace("us-east-1", "Claude Haiku 4.5", "CacheWrite1hInputTokenCount", "2.20"),
        marketplace("us-east-1", "Claude Haiku 4.5", "InputTokenCount_Global", "1.00"),
        marketplace("eu-central-1", "Claude Haiku 4.5", "InputTokenCount", "1.10"),
        # OpenSearch Serverless OCU-hours ($0.24 in us-east-1 as published; the eu-west-1 figure
        # is illustrative test data); a domain instance the usage-type filter leaves out
        opensearch("us-east-1", "SearchOCU", "OCU-hours", "0.24"),
        opensearch("us-east-1", "IndexingOCU", "OCU-hours", "0.24"),
        opensearch("eu-west-1", "SearchOCU", "OCU-hours", "0.26"),
        opensearch("eu-west-1", "IndexingOCU", "OCU-hours", "0.26"),
        opensearch("us-east-1", "ESInstance:r6g.large", "Hrs", "0.167"),
        # a model the mapping does not know yet: counted as unmapped, not stored
        marketplace("us-east-1", "Some Future Model", "InputTokenCount", "9.99"),
        _malformed(),
    ]


def _matches(item: Mapping[str, Any], filters: list[Mapping[str, str]]) -> bool:
    attributes = item["product"]["attributes"]
    for rule in filters:
        kind = rule.get("Type", "TERM_MATCH")
        value = attributes.get(rule["Field"])
        if kind == "TERM_MATCH":
            if value != rule["Value"]:
                return False
        elif kind == "CONTAINS":
            if value is None or rule["Value"] not in value:
                return False
        else:
            raise ValueError(f"the stand-in answers TERM_MATCH and CONTAINS, not {kind}")
    return True


def answer(
    catalog: list[dict[str, Any]], operation: str, request: Mapping[str, Any]
) -> dict[str, Any]:
    """The answer to one Price List request (its JSON body) from a list of products."""
    if operation == "DescribeServices":
        codes = sorted({item["serviceCode"] for item in catalog})
        wanted = request.get("ServiceCode")
        return {
            "Services": [
                {"ServiceCode": code, "AttributeNames": ["regionCode", "usagetype"]}
                for code in codes
                if wanted in (None, code)
            ],
            "FormatVersion": "aws_v1",
        }
    if operation != "GetProducts":
        raise ValueError(f"the stand-in does not answer {operation}")
    chosen = [
        item
        for item in catalog
        if item["serviceCode"] == request["ServiceCode"]
        and _matches(item, request.get("Filters", []))
    ]
    offset = int(request.get("NextToken") or 0)
    size = int(request.get("MaxResults") or PAGE_SIZE)
    result: dict[str, Any] = {
        "FormatVersion": "aws_v1",
        "PriceList": [json.dumps(item) for item in chosen[offset : offset + size]],
    }
    if offset + size < len(chosen):
        result["NextToken"] = str(offset + size)
    return result


@dataclass
class PriceListState:
    """What the running stand-in serves: its products, or AccessDenied to every request."""

    catalog: list[dict[str, Any]] = field(default_factory=products)
    denied: bool = False


def _answerer(state: PriceListState) -> Answerer:
    def answerer(operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if state.denied:
            return 400, {"__type": "AccessDeniedException", "message": "not authorized"}
        try:
            return 200, answer(state.catalog, operation, request)
        except (KeyError, ValueError) as exc:
            return 400, {"__type": "InvalidParameterException", "message": str(exc)}

    return answerer


@contextmanager
def price_list_server(state: PriceListState | None = None) -> Iterator[tuple[str, PriceListState]]:
    """Serve the Price List stand-in on a free loopback port: yields its URL and its state."""
    state = state or PriceListState()
    with json_api_server(_answerer(state)) as url:
        yield url, state
