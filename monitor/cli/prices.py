"""`genai-monitor prices`: the price catalogs, and what the project charges for one item."""

from __future__ import annotations

import click


@click.group()
def prices() -> None:
    """Explain and maintain the prices the estimates use."""
