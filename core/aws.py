"""The one place boto3 clients are made: regions, assume-role, retries, call counting, errors."""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from botocore.utils import parse_timestamp

from core.rate_limit import RateLimiter

log = logging.getLogger(__name__)

USER_AGENT = "genai-cost-monitor"
ROLE_SESSION_NAME = "genai-cost-monitor"
DEFAULT_MAX_ATTEMPTS = 8
# adaptive: botocore's standard retries plus a client-side rate that backs off when throttled
RETRY_MODES = ("adaptive", "standard")
DEFAULT_RETRY_MODE = "adaptive"

# Answers that mean "this target is closed to us": warn and skip it, keep the cycle going.
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "AuthorizationError",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "OptInRequired",
        "SubscriptionRequiredException",
        "UnauthorizedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
# Answers worth trying again later (botocore's standard mode already retried them).
TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerException",
        "LimitExceededException",
        "RequestLimitExceeded",
        "RequestTimeout",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)


class AwsError(Exception):
    """An AWS call failed; ``kind`` says what the caller should do about it."""

    def __init__(self, kind: str, service: str, operation: str, code: str, message: str) -> None:
        super().__init__(f"{service}:{operation} failed ({code}): {message}")
        self.kind = kind  # "denied", "transient" or "fatal"
        self.service = service
        self.operation = operation
        self.code = code


class AwsDenied(AwsError):
    """Access denied or the region is not enabled: skip the target with a warning."""


class AwsTransient(AwsError):
    """Throttled or unavailable after botocore's retries: the target failed this time."""


class AwsFatal(AwsError):
    """The request itself is wrong (a validation error or an unknown answer)."""


def classify(exc: Exception, service: str, operation: str) -> AwsError:
    """Turn a botocore exception into the project's typed error."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")).strip().splitlines()[0:1]
        text = message[0] if message else str(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in DENIED_CODES or status == 403:
            return AwsDenied("denied", service, operation, code, text)
        if code in TRANSIENT_CODES or status >= 500 or status == 429:
            return AwsTransient("transient", service, operation, code, text)
        return AwsFatal("fatal", service, operation, code, text)
    if isinstance(exc, NoCredentialsError):
        return AwsDenied(
            "denied", service, operation, "NoCredentials", "no AWS credentials were found"
        )
    if isinstance(exc, BotoConnectionError):
        return AwsTransient("transient", service, operation, type(exc).__name__, str(exc))
    if isinstance(exc, BotoCoreError):
        return AwsFatal("fatal", service, operation, type(exc).__name__, str(exc))
    raise TypeError(f"not an AWS error: {exc!r}")


@contextmanager
def translated_errors(service: str, operation: str) -> Iterator[None]:
    """Re-raise botocore errors inside the block as AwsDenied / AwsTransient / AwsFatal."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise classify(exc, service, operation) from exc


def fast_timestamp(value: Any) -> datetime:
    """botocore's timestamp parsing for the common shapes, without dateutil: epoch seconds (as
    UTC) and ISO 8601; anything else (RFC 822) goes to botocore's own parser. A GetMetricData
    answer carries a timestamp per datapoint, and dateutil spent a fifth of a cycle's CPU on them.
    """
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    parsed: datetime = parse_timestamp(value)
    return parsed


def _parse_fast(session: botocore.session.Session) -> None:
    """Make the clients of ``session`` parse timestamps with :func:`fast_timestamp`."""
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=fast_timestamp
    )


class ApiCallCounter:
    """Counts AWS API calls per ``service:Operation`` (one per call, however many retries), in
    all and per thread (a target's calls, while workers collect other targets alongside)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._local = threading.local()

    def record(self, service: str, operation: str) -> None:
        """Count one call."""
        with self._lock:
            self._counts[f"{service}:{operation}"] += 1
        self._local.total = getattr(self._local, "total", 0) + 1

    def thread_total(self) -> int:
        """Calls made by the calling thread so far."""
        return int(getattr(self._local, "total", 0))

    def count(self, service: str, operation: str) -> int:
        """Calls made to one operation so far."""
        with self._lock:
            return self._counts[f"{service}:{operation}"]

    def total(self) -> int:
        """Calls made to every operation so far."""
        with self._lock:
            return sum(self._counts.values())

    def snapshot(self) -> dict[str, int]:
        """A copy of the counts, keyed ``service:Operation``."""
        with self._lock:
            return dict(self._counts)


@dataclass(frozen=True)
class Target:
    """One account in one region: the unit of collection work."""

    account_id: str
    region: str
    role_arn: str | None = None
    external_id: str | None = None
    account_name: str | None = None
    default_team: str | None = None

    @property
    def label(self) -> str:
        """A short name for messages: ``prod/us-east-1``."""
        return f"{self.account_name or self.account_id}/{self.region}"


ClientFactoryFn = Callable[[str, Target], BaseClient]


class ClientFactory:
    """Makes (and caches) boto3 clients for a target, with retries and call counting.

    ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` are honoured by botocore itself,
    which is how a local AWS stand-in is used. Every request attempt of a target's client waits
    for its slot in the limiter's bucket of (account, region, API); clients are thread-safe and
    shared by the workers.
    """

    def __init__(
        self,
        session: boto3.Session | None = None,
        counter: ApiCallCounter | None = None,
        max_attempts: int | None = None,
        connect_timeout: float = 10,
        read_timeout: float = 60,
        retry_mode: str = DEFAULT_RETRY_MODE,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._session = session or boto3.Session()
        _parse_fast(self._session._session)  # noqa: SLF001 - boto3's botocore session
        self.counter = counter or ApiCallCounter()
        if max_attempts is None:
            # honour botocore's own variable: an explicit retries config would otherwise override it
            max_attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
        self._max_attempts = max_attempts
        self._timeouts = (connect_timeout, read_timeout)
        self._clients: dict[tuple[str, str, str, str | None], BaseClient] = {}
        self._role_sessions: dict[tuple[str, str | None], boto3.Session] = {}
        self._lock = threading.Lock()
        self.configure(retry_mode, limiter or RateLimiter())

    def configure(self, retry_mode: str, limiter: RateLimiter) -> None:
        """Use this retry mode and these rate limits for the clients made from now on."""
        if retry_mode not in RETRY_MODES:
            raise ValueError(f"retry mode {retry_mode!r}: expected one of {', '.join(RETRY_MODES)}")
        with self._lock:
            self.limiter = limiter
            self._config = Config(
                # total_max_attempts counts the first try too, as AWS_MAX_ATTEMPTS does
                retries={"mode": retry_mode, "total_max_attempts": self._max_attempts},
                user_agent_extra=USER_AGENT,
                connect_timeout=self._timeouts[0],
                read_timeout=self._timeouts[1],
            )
            self._clients.clear()

    def __call__(self, service: str, target: Target) -> BaseClient:
        return self.client(service, target)

    def client(self, service: str, target: Target) -> BaseClient:
        """A client for ``service`` in the target's region and account."""
        # one client per account too: its rate limits are the account's
        cache_key = (service, target.region, target.account_id, target.role_arn)
        with self._lock:
            client = self._clients.get(cache_key)
            if client is None:
                session = self._session_for(target)
                client = session.client(service, region_name=target.region, config=self._config)
                self._count_calls(client, service)
                self._limit_calls(client, service, target)
                self._clients[cache_key] = client
            return client

    def caller_account(self, region: str) -> str:
        """The account id of the current credentials."""
        sts = self._session.client("sts", region_name=region, config=self._config)
        self._count_calls(sts, "sts")
        with translated_errors("sts", "GetCallerIdentity"):
            return str(sts.get_caller_identity()["Account"])

    def _count_calls(self, client: BaseClient, service: str) -> None:
        counter = self.counter

        def on_call(model: Any, **_: Any) -> None:
            counter.record(service, model.name)

        client.meta.events.register("before-call", on_call)

    def _limit_calls(self, client: BaseClient, service: str, target: Target) -> None:
        limiter = self.limiter

        # request-created fires for every attempt (retries too), before signing and sending
        def on_request(operation_name: str, **_: Any) -> None:
            limiter.wait(target.account_id, target.region, service, operation_name)

        client.meta.events.register("request-created", on_request)

    def _session_for(self, target: Target) -> boto3.Session:
        if not target.role_arn:
            return self._session
        key = (target.role_arn, target.external_id)
        if key not in self._role_sessions:
            self._role_sessions[key] = self._assumed_session(target)
        return self._role_sessions[key]

    def _assumed_session(self, target: Target) -> boto3.Session:
        """A session whose credentials come from sts:AssumeRole and refresh before they expire."""
        sts = self._session.client("sts", region_name=target.region, config=self._config)
        self._count_calls(sts, "sts")
        role_arn = target.role_arn
        assert role_arn is not None

        def fetch() -> dict[str, str]:
            params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
            if target.external_id:
                params["ExternalId"] = target.external_id
            credentials = sts.assume_role(**params)["Credentials"]
            return {
                "access_key": credentials["AccessKeyId"],
                "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": credentials["Expiration"].isoformat(),
            }

        core_session = botocore.session.get_session()
        _parse_fast(core_session)
        core_session._credentials = DeferredRefreshableCredentials(  # noqa: SLF001 - botocore's documented pattern
            refresh_using=fetch, method="sts-assume-role"
        )
        return boto3.Session(botocore_session=core_session)


def pages(
    client: BaseClient,
    method: str,
    *,
    token_param: str = "NextToken",
    token_key: str | None = None,
    **params: Any,
) -> Iterator[dict[str, Any]]:
    """Yield every page of a paged API, following its token (for APIs with no boto3 paginator too).

    ``token_param`` is the request's token parameter and ``token_key`` the answer's (the same
    name unless given). Errors come out as AwsDenied / AwsTransient / AwsFatal.
    """
    service = client.meta.service_model.service_name
    operation = client.meta.method_to_api_mapping.get(method, method)
    call = getattr(client, method)
    answer_key = token_key or token_param
    seen: set[str] = set()
    token: str | None = None
    while True:
        request = dict(params)
        if token:
            request[token_param] = token
        with translated_errors(service, operation):
            page = call(**request)
        yield page
        token = page.get(answer_key)
        if not token:
            return
        if token in seen:
            raise AwsFatal(
                "fatal",
                service,
                operation,
                "RepeatedToken",
                f"the API returned the page token {token!r} twice",
            )
        seen.add(token)


def resolve_targets(
    accounts: list[Any], regions: list[str], factory: ClientFactory
) -> list[Target]:
    """Every (account, region) to collect: the configured accounts, else the caller's own."""
    if not accounts:
        account_id = factory.caller_account(regions[0])
        return [Target(account_id, region) for region in regions]
    return [
        Target(
            account_id=account.id,
            region=region,
            role_arn=account.role_arn,
            external_id=account.external_id,
            account_name=account.name,
            default_team=account.team,
        )
        for account in accounts
        for region in regions
    ]
