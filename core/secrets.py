"""Secrets are typed: a settings field that is a ``SecretStr`` is masked wherever it is shown."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic_core import to_jsonable_python

MASK = "***"


def _mask(node: Any) -> Any:
    if isinstance(node, SecretStr):
        return MASK if node.get_secret_value() else ""
    if isinstance(node, dict):
        return {key: _mask(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_mask(value) for value in node]
    return node


def masked(model: BaseModel) -> Any:
    """The model as JSON-ready data (keys by alias), every ``SecretStr`` replaced by ``***``."""
    return to_jsonable_python(_mask(model.model_dump(mode="python", by_alias=True)))
