"""The FOCUS 1.2 column list as written down in focus-1.2-columns.yaml, loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

SPEC_FILE = "focus-1.2-columns.yaml"
TYPES = ("String", "Decimal", "DateTime", "JSON")


@dataclass(frozen=True)
class Column:
    """One column: its FOCUS data type, feature level, whether it may be null, its closed value set."""

    name: str
    type: str
    level: str  # Mandatory, Recommended, Conditional; "Custom" for x_ columns
    nullable: bool
    allowed: tuple[str, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class FocusSpec:
    """The columns in export order (FOCUS ones, then the x_ ones) and the value rules."""

    version: str
    columns: tuple[Column, ...]
    subcategories: dict[str, tuple[str, ...]]
    currency_pattern: str
    datetime_pattern: str

    @property
    def names(self) -> tuple[str, ...]:
        """Every column name, in export order."""
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or None when the spec has no such column."""
        return next((column for column in self.columns if column.name == name), None)


def _column(name: str, raw: dict[str, Any], level: str | None = None) -> Column:
    if raw["type"] not in TYPES:
        raise ValueError(f"{SPEC_FILE}: {name}: unknown type {raw['type']!r}")
    allowed = raw.get("allowed")
    return Column(
        name=name,
        type=raw["type"],
        level=level or raw["level"],
        nullable=bool(raw["nullable"]),
        allowed=tuple(str(value) for value in allowed) if allowed else None,
        description=str(raw.get("description", "")),
    )


def parse_spec(raw: dict[str, Any]) -> FocusSpec:
    """A spec from the YAML file's mapping; a custom column must carry the x_ prefix."""
    columns = [_column(name, item) for name, item in raw["columns"].items()]
    for name, item in raw.get("custom", {}).items():
        if not name.startswith("x_"):
            raise ValueError(f"{SPEC_FILE}: custom column {name!r} must start with x_")
        columns.append(_column(name, item, "Custom"))
    return FocusSpec(
        version=str(raw["version"]),
        columns=tuple(columns),
        subcategories={key: tuple(values) for key, values in raw["subcategories"].items()},
        currency_pattern=raw["currency_pattern"],
        datetime_pattern=raw["datetime_pattern"],
    )


@cache
def focus_spec() -> FocusSpec:
    """The FOCUS 1.2 spec shipped with the package."""
    text = resources.files("core.focus").joinpath(SPEC_FILE).read_text(encoding="utf-8")
    return parse_spec(yaml.safe_load(text))
