"""A config validation error as one readable line: the file, the key and what was expected."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def _error_location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in {"function-after[_references()]", "function-after[_positive()]"}:
            continue
        elif isinstance(item, str) and item.startswith(("function-", "literal[")):
            continue
        else:
            key = str(item) if str(item).isprintable() else repr(item)  # a key with a newline
            parts.append(("." if parts else "") + key)
    return "".join(parts) or "(top level)"


def describe_validation_error(error: ValidationError, source: str) -> str:
    """One line for the first error: the file, the key path, what was expected, what was given."""
    errors = error.errors()
    first = errors[0]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "union_tag_invalid":
        context = first.get("ctx", {})
        message = f"{context.get('discriminator', 'kind')} {context.get('tag')!r} is not one of {context.get('expected_tags')}"
    text = f"{source}: {_error_location(tuple(first['loc']))}: {message}"
    if (
        first["type"] not in {"extra_forbidden", "missing"}
        and "input" in first
        and not isinstance(first["input"], dict | list)
    ):
        if repr(first["input"]) not in text:
            text += f" (got {first['input']!r})"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return text
