"""AWS Application Load Balancer OIDC: verify the ``x-amzn-oidc-data`` token the ALB signs (ES256).

The ALB names its key id (``kid``) and its own ARN (``signer``) in the token's header; the public
key is a PEM at a regional URL per key id, fetched once and kept.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from core.access_settings import DashboardAuthConfig

DATA_HEADER = "x-amzn-oidc-data"
IDENTITY_HEADER = "x-amzn-oidc-identity"
# a key id goes into a URL: only what ALB key ids are made of (UUIDs)
_KID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_MAX_KEY_BYTES = 16 * 1024


class AlbTokenError(Exception):
    """The token is missing, malformed, unsigned by the ALB, expired, or its key cannot be had."""


class AlbKeys:
    """The ALB's public keys by key id, fetched from the regional key URL once each."""

    def __init__(self, url_template: str, region: str | None, timeout: float = 5.0) -> None:
        self.url_template = url_template
        self.region = region or ""
        self.timeout = timeout
        self._keys: dict[str, EllipticCurvePublicKey] = {}
        self._lock = threading.Lock()

    def key(self, kid: str) -> EllipticCurvePublicKey:
        """The public key of ``kid``; AlbTokenError if it cannot be fetched or is no EC key."""
        if not _KID.match(kid):
            raise AlbTokenError("the token's key id is malformed")
        with self._lock:
            known = self._keys.get(kid)
        if known is not None:
            return known
        key = self._fetch(kid)
        with self._lock:
            # only keys that were fetched and parsed are kept: a failure is retried next time
            return self._keys.setdefault(kid, key)

    def _fetch(self, kid: str) -> EllipticCurvePublicKey:
        url = self.url_template.format(region=self.region, kid=kid)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310
                pem = answer.read(_MAX_KEY_BYTES)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise AlbTokenError(
                f"the load balancer's key {kid} could not be fetched: {exc}"
            ) from None
        try:
            key = load_pem_public_key(pem)
        except ValueError:
            raise AlbTokenError(f"the load balancer's key {kid} is not a PEM public key") from None
        if not isinstance(key, EllipticCurvePublicKey):
            raise AlbTokenError(f"the load balancer's key {kid} is not an EC key")
        return key


@dataclass(frozen=True)
class AlbIdentity:
    """Who the ALB says is asking."""

    user: str
    groups: tuple[str, ...]


def _groups(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    return tuple(str(item).strip() for item in value if str(item).strip())


class AlbVerifier:
    """Checks an ``x-amzn-oidc-data`` token: signature, expiry, signer and issuer."""

    def __init__(
        self, settings: DashboardAuthConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.keys = AlbKeys(settings.alb_key_url, settings.alb_region, settings.key_timeout_seconds)
        self.clock = clock

    def verify(self, token: str, identity: str | None = None) -> AlbIdentity:
        """The user and groups of a valid token; AlbTokenError for any other."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AlbTokenError("the token is not a JWT") from None
        if header.get("alg") != "ES256":
            raise AlbTokenError("the token is not signed with ES256")
        expected = self.settings.alb_arn
        if expected is not None and header.get("signer") != expected:
            raise AlbTokenError("the token was signed by another load balancer")
        key = self.keys.key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["ES256"],
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise AlbTokenError(f"the token is not valid: {exc}") from None
        self._check_claims(header, claims)
        user = claims.get("email") or claims.get("sub") or identity
        if identity and claims.get("sub") and identity != claims["sub"]:
            raise AlbTokenError("x-amzn-oidc-identity does not match the token's subject")
        if not user:
            raise AlbTokenError("the token names no user (email or sub)")
        return AlbIdentity(str(user), _groups(claims.get(self.settings.groups_claim)))

    def _check_claims(self, header: dict[str, Any], claims: dict[str, Any]) -> None:
        # the ALB puts exp in the header; an IdP's claims may carry it too: every one must hold
        expiries = [value for value in (header.get("exp"), claims.get("exp")) if value is not None]
        if not expiries:
            raise AlbTokenError("the token has no expiry")
        try:
            expired = any(float(value) <= self.clock() for value in expiries)
        except (TypeError, ValueError):
            raise AlbTokenError("the token's expiry is not a number") from None
        if expired:
            raise AlbTokenError("the token has expired")
        issuer = self.settings.issuer
        named = [value for value in (header.get("iss"), claims.get("iss")) if value is not None]
        if issuer is not None and (not named or any(value != issuer for value in named)):
            raise AlbTokenError("the token was issued by another identity provider")
