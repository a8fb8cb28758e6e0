"""Recorded raw AWS answers (tests/data/aws/<service>/<name>.json), loaded as boto3 gives them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "aws"
# Keys whose values boto3 parses into datetimes; the JSON files hold them as ISO strings.
DATETIME_KEYS = frozenset({"CreationTime", "LastModifiedTime", "createdAt", "updatedAt"})
DATETIME_LIST_KEYS = frozenset({"Timestamps"})


def load_answer(service: str, name: str) -> Any:
    """One recorded answer file, with its timestamps as datetimes."""
    return _parsed(json.loads((DATA / service / f"{name}.json").read_text()))


def _parsed(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _parsed(v, k) for k, v in node.items()}
    if isinstance(node, list):
        if key in DATETIME_LIST_KEYS:
            return [datetime.fromisoformat(value) for value in node]
        return [_parsed(value) for value in node]
    if key in DATETIME_KEYS and isinstance(node, str):
        return datetime.fromisoformat(node)
    return node
