"""What an IAM principal ARN says about its caller: the account, the user or role, and for an
assumed-role session the role and the session name (pure parsing, no AWS)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# arn:PARTITION:SERVICE::ACCOUNT:RESOURCE (IAM and STS ARNs have no region)
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)$"
)


@dataclass(frozen=True)
class Caller:
    """An IAM principal ARN taken apart.

    ``kind`` is ``user``, ``role``, ``assumed-role`` or ``other`` (root, federated users, ARNs
    the monitor does not read); ``name`` is the user's or role's name; ``iam_arn`` is the
    user's or role's own IAM ARN, the one its tags hang on. An assumed-role ARN does not carry
    the role's path, so a session's ``iam_arn`` is the role's ARN without its path.
    """

    arn: str
    kind: str
    account_id: str | None = None
    name: str | None = None
    session: str | None = None
    iam_arn: str | None = None


def parse_caller(arn: str) -> Caller:
    """Take a caller's ARN apart; an ARN of another shape is an ``other`` caller."""
    found = _ARN.match(arn.strip())
    if found is None:
        return Caller(arn, "other")
    partition, service, account = found["partition"], found["service"], found["account"]
    resource = found["resource"]
    kind, _, rest = resource.partition("/")
    if service == "sts" and kind == "assumed-role":
        role, _, session = rest.partition("/")
        if not role or not session:
            return Caller(arn, "other", account)
        return Caller(
            arn,
            "assumed-role",
            account,
            role,
            session,
            f"arn:{partition}:iam::{account}:role/{role}",
        )
    if service == "iam" and kind in ("user", "role") and rest:
        return Caller(arn, kind, account, rest.rsplit("/", 1)[-1], None, arn)
    return Caller(arn, "other", account)
