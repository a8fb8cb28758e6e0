"""Links into the dashboard from outside it (alert messages, e-mails): built from the configured
``dashboard.public_url``, so a message opens the page on the resource it is about."""

from __future__ import annotations

from urllib.parse import urlencode


def waste_link(public_url: str, resource_arn: str) -> str:
    """The Waste page showing one resource (``?resource=ARN``)."""
    return f"{public_url.rstrip('/')}/waste?{urlencode({'resource': resource_arn})}"
