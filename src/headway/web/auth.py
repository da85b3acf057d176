"""Who may call what: API keys with scopes (``ingest``, ``read``, ``admin``) and the policy.

Policy (docs/api-keys.md):

- **Local mode**: while the database holds no active key, every API route and page is open
  to callers on this machine (the ``LOCAL`` principal). ``headway serve`` then binds only to
  loopback; a request from another address is refused anyway, and so are a request whose
  ``Host`` is a dotted domain name (DNS rebinding), a request relayed by a proxy (it carries
  ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``, whoever claims to be behind it) and a
  state-changing API request that a browser marks as cross-site (a web page cannot drive the
  local API).
- **Keys mode**: once any active key exists, every ``/api/v1`` route needs
  ``Authorization: Bearer <key>`` (or ``X-API-Key``): no, unknown or revoked key -> 401 with
  ``WWW-Authenticate: Bearer``; a key without the route's scope -> 403. ``admin`` implies the
  other scopes. A browser logged in to the dashboard may call the API with its session
  cookie; a state-changing call then needs the ``X-CSRF-Token`` header.
- Dashboard pages (``page_scope``) send a browser without a session to
  ``/login?next=<this page>`` instead of answering 401.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from headway.api import SCOPES, Principal
from headway.errors import Forbidden, Unauthorized
from headway.web.csrf import CSRF_HEADER, SAFE_METHODS, CsrfCookie, csrf_ok, csrf_refused
from headway.web.errors import error_response
from headway.web.sessions import (
    auth_state,
    check_key,
    new_auth_state,
    presented_key,
    session_principal,
)

__all__ = ["LOCAL", "SCOPES", "Principal", "install_auth", "page_scope", "require_scope"]

LOCAL = Principal("local", frozenset(SCOPES))
LOGIN_PATH = "/login"
# A request carrying one of these came through a proxy: its real sender is not this machine.
RELAY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


class KeyRequired(Unauthorized):
    """No valid API key: answered 401 with ``WWW-Authenticate: Bearer``."""


class LoginRequired(Exception):
    """A dashboard page needs a login: answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def require_scope(scope: str) -> Callable[[Request], Principal]:
    """A dependency that admits callers holding ``scope``."""
    _check_scope_name(scope)

    def dependency(request: Request) -> Principal:
        if auth_state(request).local_mode():
            return _local_caller(request, api=True)
        principal = _api_caller(request)
        return _with_scope(principal, scope)

    return dependency


def page_scope(scope: str) -> Callable[[Request], Principal]:
    """Like ``require_scope`` for dashboard pages (a browser is sent to log in)."""
    _check_scope_name(scope)

    def dependency(request: Request) -> Principal:
        if auth_state(request).local_mode():
            return _local_caller(request, api=False)
        token = presented_key(request)
        principal = check_key(request, token) if token else session_principal(request)
        if principal is None:
            raise LoginRequired(_this_page(request))
        return _with_scope(principal, scope)

    return dependency


def install_auth(app: FastAPI) -> None:
    """Wire authentication into ``app``: its error answers, the CSRF cookie, the keys API."""
    app.state.auth = new_auth_state(app.state.headway, app.state.settings)
    app.add_exception_handler(KeyRequired, _key_required)  # type: ignore[arg-type]
    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
    app.add_middleware(CsrfCookie)
    from headway.web import key_routes  # late: its routes depend on this module

    app.include_router(key_routes.router, prefix="/api/v1")


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site, else ``/`` (never an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def login_url(next_path: str) -> str:
    """The login page, coming back to ``next_path`` afterwards."""
    return f"{LOGIN_PATH}?next={quote(safe_next(next_path), safe='/')}"


def _api_caller(request: Request) -> Principal:
    token = presented_key(request)
    if token:
        principal = check_key(request, token)
        if principal is None:
            raise KeyRequired("the API key is not valid: it is unknown, mistyped or revoked")
        return principal
    principal = session_principal(request)
    if principal is None:
        raise KeyRequired(
            "this API needs a key: send 'Authorization: Bearer <key>' "
            "(create one with 'headway keys create')"
        )
    if request.method not in SAFE_METHODS and not csrf_ok(
        request, request.headers.get(CSRF_HEADER)
    ):
        raise csrf_refused()
    return principal


def _with_scope(principal: Principal, scope: str) -> Principal:
    if not principal.allows(scope):
        raise Forbidden(f"this API key lacks the {scope!r} scope needed here")
    return principal


def _local_caller(request: Request, *, api: bool) -> Principal:
    if not _is_loopback(request) or any(h in request.headers for h in RELAY_HEADERS):
        raise KeyRequired(
            "this server has no API keys, so it only answers callers on its own machine"
        )
    if not _local_host_name(request.headers.get("host", "")):
        raise Forbidden(
            "this server has no API keys, so it answers only requests addressed to "
            "localhost or an IP address; open it as http://127.0.0.1:PORT"
        )
    if api and request.method not in SAFE_METHODS and _cross_site(request):
        raise Forbidden("cross-site requests to the local API are refused")
    return LOCAL


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine's loopback interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_loopback(request: Request) -> bool:
    # No peer address (e.g. a Unix socket) is local by definition. Only an IP address counts:
    # a name could only come from a forwarded header.
    if request.client is None:
        return True
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def _local_host_name(host: str) -> bool:
    # A web page can point its own domain at 127.0.0.1 (DNS rebinding) and read the local
    # server as same-origin; its requests then carry that domain in Host. Local mode
    # therefore answers only IP literals and dotless or *.localhost names.
    try:
        name = urlsplit(f"//{host}").hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return "." not in name or name.endswith(".localhost")


def _cross_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if not origin:
        return False  # not sent by a browser page (curl, scripts) or same-origin GET-like
    return urlsplit(origin).netloc != request.headers.get("host", "")


def _this_page(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _check_scope_name(scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; the scopes are {', '.join(SCOPES)}")


async def _key_required(request: Request, err: KeyRequired) -> JSONResponse:
    return error_response(err.http_status, err.to_dict(), {"WWW-Authenticate": "Bearer"})


async def _login_required(request: Request, err: LoginRequired) -> RedirectResponse:
    return RedirectResponse(login_url(err.next_path), status_code=303)
