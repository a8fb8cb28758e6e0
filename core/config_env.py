"""`${NAME}` in a config value is read from the environment, before validation."""

from __future__ import annotations

import re
from typing import Any

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MissingVariable(Exception):
    """A config value names an environment variable that is not set."""


def substitute_env(node: Any, path: str, environ: dict[str, str]) -> Any:
    """Replace ``${NAME}`` in every string with the environment variable NAME."""
    if isinstance(node, dict):
        return {
            key: substitute_env(value, f"{path}.{key}" if path else str(key), environ)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            substitute_env(value, f"{path}[{index}]", environ) for index, value in enumerate(node)
        ]
    if isinstance(node, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise MissingVariable(
                    f"{path}: refers to ${{{name}}}, but the environment variable {name} is not set"
                )
            return environ[name]

        return ENV_REF.sub(lookup, node)
    return node
