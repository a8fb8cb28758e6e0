"""SageMaker inference components in the AWS stand-in: moto 5 has none, so while
``inference_components`` is active the in-process moto answers CreateInferenceComponent,
ListInferenceComponents, DescribeInferenceComponent and UpdateInferenceComponentRuntimeConfig
(a copy count, as scale-to-zero sets it) in AWS's shapes, and accepts the
endpoint configs that host them (a variant with an instance type and no model).

Their invocations are put into AWS/SageMaker per ``InferenceComponentName``, as AWS publishes
them (``put_component_invocations``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from core.aws import ClientFactory, Target
from demo.seed import put_metrics
from demo.world import ACCOUNT

_STORE = "_demo_inference_components"


def _components(backend: Any) -> dict[str, dict[str, Any]]:
    # kept on moto's backend object, so moto's reset forgets them with everything else
    store = getattr(backend, _STORE, None)
    if store is None:
        store = {}
        setattr(backend, _STORE, store)
    return store


def _create(self: Any) -> Any:
    from moto.core.responses import ActionResult

    backend = self.sagemaker_backend
    name = self._get_param("InferenceComponentName")
    endpoint = backend.describe_endpoint(self._get_param("EndpointName"))
    spec = self._get_param("Specification") or {}
    copies = int((self._get_param("RuntimeConfig") or {}).get("CopyCount", 1))
    created = getattr(backend, "_demo_clock", None) or datetime.now().astimezone()
    arn = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:inference-component/{name}"
    _components(backend)[name] = {
        "InferenceComponentName": name,
        "InferenceComponentArn": arn,
        "EndpointName": endpoint["EndpointName"],
        "EndpointArn": endpoint["EndpointArn"],
        "VariantName": self._get_param("VariantName"),
        "Specification": {
            key: spec[key] for key in ("ModelName", "ComputeResourceRequirements") if key in spec
        },
        "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
        "CreationTime": created,
        "LastModifiedTime": created,
        "InferenceComponentStatus": "InService",
    }
    return ActionResult({"InferenceComponentArn": arn})


_SUMMARY_KEYS = (
    "CreationTime",
    "InferenceComponentArn",
    "InferenceComponentName",
    "EndpointArn",
    "EndpointName",
    "VariantName",
    "InferenceComponentStatus",
    "LastModifiedTime",
)


def _list(self: Any) -> Any:
    from moto.core.responses import ActionResult

    endpoint = self._get_param("EndpointNameEquals")
    found = [
        {key: component[key] for key in _SUMMARY_KEYS}
        for component in _components(self.sagemaker_backend).values()
        if endpoint is None or component["EndpointName"] == endpoint
    ]
    return ActionResult({"InferenceComponents": found})


def _describe(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError

    name = self._get_param("InferenceComponentName")
    component = _components(self.sagemaker_backend).get(name)
    if component is None:
        raise ValidationError(message=f"Could not find inference component '{name}'.")
    return ActionResult(component)


def _update_runtime(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError

    name = self._get_param("InferenceComponentName")
    component = _components(self.sagemaker_backend).get(name)
    if component is None:
        raise ValidationError(message=f"Could not find inference component '{name}'.")
    copies = int((self._get_param("DesiredRuntimeConfig") or {}).get("CopyCount", 0))
    component["RuntimeConfig"] = {"DesiredCopyCount": copies, "CurrentCopyCount": copies}
    return ActionResult({"InferenceComponentArn": component["InferenceComponentArn"]})


@contextmanager
def inference_components() -> Iterator[None]:
    """Serve inference components from the in-process moto while active."""
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    original_validate = SageMakerModelBackend.validate_production_variants

    def validate(self: Any, production_variants: list[dict[str, Any]]) -> None:
        # a variant that hosts inference components names an instance type and no model
        original_validate(self, [v for v in production_variants if v.get("ModelName")])

    added = {
        "create_inference_component": _create,
        "list_inference_components": _list,
        "describe_inference_component": _describe,
        "update_inference_component_runtime_config": _update_runtime,
    }
    SageMakerModelBackend.validate_production_variants = validate  # type: ignore[method-assign]
    for name, method in added.items():
        setattr(SageMakerResponse, name, method)
    try:
        yield
    finally:
        SageMakerModelBackend.validate_production_variants = original_validate  # type: ignore[method-assign]
        for name in added:
            delattr(SageMakerResponse, name)


def create_component_endpoint(
    name: str,
    instance_type: str,
    count: int,
    components: list[dict[str, Any]],
    *,
    created_at: datetime,
    region: str = "us-east-1",
    tags: dict[str, str] | None = None,
    clients: ClientFactory | None = None,
) -> None:
    """An endpoint whose one variant hosts inference components, each
    ``{"name", "copies", "accelerators", "cpu_cores", "memory_mb"}``, all created at ``created_at``."""
    from demo.standins import sagemaker_clock

    sagemaker = (clients or ClientFactory())("sagemaker", Target(ACCOUNT, region))
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": instance_type,
                "InitialInstanceCount": count,
            }
        ],
    )
    with sagemaker_clock(created_at):
        sagemaker.create_endpoint(
            EndpointName=name,
            EndpointConfigName=f"{name}-config",
            Tags=[{"Key": key, "Value": value} for key, value in (tags or {}).items()],
        )
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[ACCOUNT][region]
    backend._demo_clock = created_at  # type: ignore[attr-defined]  # noqa: SLF001 - the stand-in's own attribute
    for component in components:
        requirements = {
            "NumberOfCpuCoresRequired": component.get("cpu_cores", 1),
            "MinMemoryRequiredInMb": component.get("memory_mb", 1024),
        }
        if component.get("accelerators"):
            requirements["NumberOfAcceleratorDevicesRequired"] = component["accelerators"]
        sagemaker.create_inference_component(
            InferenceComponentName=component["name"],
            EndpointName=name,
            VariantName="AllTraffic",
            Specification={
                "ModelName": f"{component['name']}-model",
                "ComputeResourceRequirements": requirements,
            },
            RuntimeConfig={"CopyCount": component["copies"]},
        )
    backend._demo_clock = None  # type: ignore[attr-defined]  # noqa: SLF001


def put_component_invocations(
    region: str, points: Iterable[tuple[str, datetime, float]], clients: ClientFactory | None = None
) -> int:
    """Put (component, timestamp, count) Invocations into AWS/SageMaker per InferenceComponentName."""
    data = (
        {
            "MetricName": "Invocations",
            "Dimensions": [{"Name": "InferenceComponentName", "Value": component}],
            "Timestamp": at,
            "Value": value,
        }
        for component, at, value in points
    )
    client = (clients or ClientFactory())("cloudwatch", Target(ACCOUNT, region))
    return put_metrics(client, "AWS/SageMaker", data)
