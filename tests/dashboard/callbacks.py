"""The callback requests a browser sends, built from the pages' filter specs (Dash's wire format)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from dashboard.filters import FilterSpec

PAGE_PATHS = {
    "overview": "/",
    "teams": "/teams",
    "bedrock": "/bedrock",
    "endpoints": "/endpoints",
    "weekly": "/weekly",
    "alerts": "/alerts",
    "advisor": "/advisor",
}


def spec_of(page: str) -> FilterSpec:
    """The filter spec a page module registers."""
    spec: FilterSpec = importlib.import_module(f"dashboard.pages.{page}").SPEC
    return spec


def body_request(page: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The POST body of ``<page>-body``'s callback, its controls holding ``values`` by query key."""
    values = values or {}
    inputs = [
        {"id": component, "property": prop, "value": values.get(key)}
        for key, component, prop in spec_of(page).bindings()
    ]
    return {
        "output": f"{page}-body.children",
        "outputs": {"id": f"{page}-body", "property": "children"},
        "inputs": inputs,
        "changedPropIds": [f"{item['id']}.{item['property']}" for item in inputs],
        "state": [],
    }


def content_request(path: str, search: str = "") -> dict[str, Any]:
    """The POST body of Dash Pages' callback that lays out the page at ``path`` for a query."""
    inputs = [
        {"id": "_pages_location", "property": "pathname", "value": path},
        {"id": "_pages_location", "property": "search", "value": search},
    ]
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": inputs,
        "changedPropIds": [f"{item['id']}.{item['property']}" for item in inputs],
        "state": [],
    }


def texts(node: Any) -> Sequence[str]:
    """Every string in a callback response's component tree, depth first."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in texts(value)]
    return []
