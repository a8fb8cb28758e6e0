"""The cache of IAM principal tags (#14): the tags of the users and roles that call Bedrock,
read with iam:ListUserTags / iam:ListRoleTags and refetched once a day.

Kept apart from core/models.py (which imports this module at its end, so the table is on the
one ``Base.metadata``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, EndpointJSON

# how a fetch ended: the tags were read, IAM refused, or the user/role no longer exists
TAGS_READ = "read"
TAGS_DENIED = "denied"
TAGS_MISSING = "missing"


class PrincipalTagSet(Base):
    """The tags of one IAM user or role (an assumed-role session's role, path-less ARN) as last
    read; a denied or missing principal is cached with no tags until its next daily refetch."""

    __tablename__ = "principal_tags"

    principal_arn: Mapped[str] = mapped_column(String(1024), primary_key=True)
    tags: Mapped[dict[str, str]] = mapped_column(EndpointJSON, default=dict)
    outcome: Mapped[str] = mapped_column(String(16))
    fetched_at: Mapped[datetime]
