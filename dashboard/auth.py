"""Authentication covering every route: basic auth, a trusted header from an SSO proxy, or the
token an AWS Application Load Balancer signs; each admitted request gets its viewer."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask, Response, g, request

from core.access_settings import DashboardConfig
from core.settings import ConfigError
from dashboard.access import ANONYMOUS, Viewer, viewer_for
from dashboard.alb import DATA_HEADER, IDENTITY_HEADER, AlbTokenError, AlbVerifier
from dashboard.security import FailureThrottle

log = logging.getLogger(__name__)

ENV_USER = "GENAI_MONITOR_DASHBOARD_USER"
ENV_PASSWORD = "GENAI_MONITOR_DASHBOARD_PASSWORD"
ENV_TRUSTED_HEADER = "GENAI_MONITOR_DASHBOARD_TRUSTED_HEADER"
ENV_ALLOWED_USERS = "GENAI_MONITOR_DASHBOARD_ALLOWED_USERS"
REALM = "genai-cost-monitor"
DEFAULT_GROUPS_HEADER = "X-Forwarded-Groups"
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AuthSettings:
    """Who may see the dashboard: basic auth, a trusted header set by an SSO proxy, or both (either admits)."""

    username: str | None = None
    password: str | None = None
    # a header such as X-Forwarded-User that the reverse proxy sets after SSO (and strips from clients)
    trusted_header: str | None = None
    # with a trusted header: only these users (empty: anyone the proxy admits)
    allowed_users: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        """Whether any authentication is required."""
        return bool(self.username or self.trusted_header)


def auth_from_env(environ: Mapping[str, str] | None = None) -> AuthSettings:
    """Authentication from the environment; a user without a password (or the reverse) is a config error."""
    env = os.environ if environ is None else environ
    user, password = env.get(ENV_USER) or None, env.get(ENV_PASSWORD) or None
    if bool(user) != bool(password):
        raise ConfigError(f"set both {ENV_USER} and {ENV_PASSWORD} for basic auth, or neither")
    allowed = tuple(
        name.strip() for name in (env.get(ENV_ALLOWED_USERS) or "").split(",") if name.strip()
    )
    return AuthSettings(user, password, env.get(ENV_TRUSTED_HEADER) or None, allowed)


@dataclass(frozen=True)
class AccessPolicy:
    """The environment's credentials and the config's `dashboard:` section, resolved."""

    auth: AuthSettings
    dashboard: DashboardConfig
    user_header: str | None = None
    groups_header: str | None = None
    proxies: tuple[Network, ...] | None = None  # None: identity headers from any address
    alb: AlbVerifier | None = None

    @property
    def enabled(self) -> bool:
        """Whether any authentication is required."""
        return bool(self.auth.username or self.user_header or self.alb)


def access_policy(auth: AuthSettings, dashboard: DashboardConfig) -> AccessPolicy:
    """How requests are authenticated; the GENAI_MONITOR_DASHBOARD_* variables work as they always did."""
    config = dashboard.auth
    if config is None or config.mode == "basic":
        if config is not None and not auth.username:
            raise ConfigError(f"dashboard.auth.mode basic needs {ENV_USER} and {ENV_PASSWORD}")
        return _env_policy(auth, dashboard)
    proxies = tuple(config.trusted_proxies) if config.trusted_proxies else None
    if config.mode == "alb_oidc":
        return AccessPolicy(auth, dashboard, proxies=proxies, alb=AlbVerifier(config))
    return AccessPolicy(
        auth,
        dashboard,
        auth.trusted_header or config.user_header,
        config.groups_header,
        proxies or LOOPBACK,
    )


def _env_policy(auth: AuthSettings, dashboard: DashboardConfig) -> AccessPolicy:
    """The environment's basic auth or trusted header, as always."""
    groups_header = DEFAULT_GROUPS_HEADER if auth.trusted_header and dashboard.maps_groups else None
    policy = AccessPolicy(auth, dashboard, auth.trusted_header, groups_header)
    if dashboard.maps_groups and not policy.enabled:
        log.warning("dashboard.roles and team_groups need authentication: everyone is an admin")
    return policy


def _plain(text: str, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(text + "\n", status=status, headers=dict(headers or {}), mimetype="text/plain")


def _from_trusted_address(policy: AccessPolicy) -> bool:
    if policy.proxies is None:
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in policy.proxies)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _basic_admits(auth: AuthSettings) -> bool:
    given = request.authorization
    if not (auth.username and auth.password and given is not None and given.type == "basic"):
        return False
    # compare both in constant time, whatever the first comparison says
    user_ok = hmac.compare_digest((given.username or "").encode(), auth.username.encode())
    password_ok = hmac.compare_digest((given.password or "").encode(), auth.password.encode())
    return user_ok and password_ok


def _admit(policy: AccessPolicy, user: str, groups: tuple[str, ...]) -> Viewer | Response:
    if policy.auth.allowed_users and user not in policy.auth.allowed_users:
        return _plain("authentication required", 401)
    viewer = viewer_for(user, groups, policy.dashboard)
    if viewer is None:
        return _plain(
            f"{user} may not see the dashboard: none of their groups is under dashboard.roles "
            "or dashboard.team_groups; ask an administrator for access",
            403,
        )
    return viewer


def identify(policy: AccessPolicy) -> Viewer | Response | None:
    """The viewer of this request, a refusal, or None when it carries no (valid) credentials."""
    if policy.alb is not None and DATA_HEADER in request.headers:
        if not _from_trusted_address(policy):
            return _plain("load balancer headers from this address are refused", 403)
        try:
            found = policy.alb.verify(
                request.headers[DATA_HEADER], request.headers.get(IDENTITY_HEADER)
            )
        except AlbTokenError as exc:
            log.warning("dashboard: load balancer token refused: %s", exc)
            return _plain("the load balancer's token was refused; sign in again", 401)
        return _admit(policy, found.user, found.groups)
    user = request.headers.get(policy.user_header, "").strip() if policy.user_header else ""
    if user:
        if not _from_trusted_address(policy):
            return _plain(
                "identity headers from this address are refused: not a trusted proxy", 403
            )
        groups = (
            _split(request.headers.get(policy.groups_header or "")) if policy.groups_header else ()
        )
        return _admit(policy, user, groups)
    if _basic_admits(policy.auth):
        return Viewer(policy.auth.username or "", "admin", None)
    return None


def install_auth(
    server: Flask,
    auth: AuthSettings,
    throttle: FailureThrottle | None = None,
    dashboard: DashboardConfig | None = None,
) -> None:
    """Refuse every request, Dash's callback and asset routes included, that lacks valid credentials;
    a client that keeps sending wrong passwords is refused (429) for a while. Every admitted request
    gets its viewer (``flask.g.viewer``)."""
    policy = access_policy(auth, dashboard or DashboardConfig())
    throttle = throttle or FailureThrottle()

    def check() -> Response | None:
        if not policy.enabled:
            g.viewer = ANONYMOUS
            return None
        client = request.remote_addr or "unknown"
        wait = throttle.retry_after(client)
        if wait > 0:
            return _plain(
                "too many failed logins; try again later", 429, {"Retry-After": str(int(wait) + 1)}
            )
        found = identify(policy)
        if isinstance(found, Viewer):
            g.viewer = found
            return None
        if found is not None:
            return found
        if request.authorization is not None:
            throttle.failed(client)  # credentials were given, and they were wrong
        challenge = f'Basic realm="{REALM}", charset="UTF-8"'
        return _plain(
            "authentication required", 401, {"WWW-Authenticate": challenge} if auth.username else {}
        )

    server.before_request(check)
