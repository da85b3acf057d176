"""CSRF protection for dashboard forms (double-submit cookie, signed).

Each browser gets a random ``headway_csrf`` cookie (HttpOnly, SameSite=Lax) the first time a
page asks for a token; the token is HMAC(server secret, cookie value, login session id). Another
site can neither read the cookie nor compute the token, so a state-changing request must carry
it. Binding the token to the session means a token obtained in one session (say, an attacker's
own, planted with its cookie in a victim's browser) is refused in any other, and a page from
before a login needs reloading after it:

- ``csrf_token(request)`` -> the token to put in a form's hidden ``csrf_token`` field (the
  templates get it as ``csrf_token``) or an ``X-CSRF-Token`` header for fetch() calls.
- ``verify_csrf`` -> a FastAPI dependency for dashboard POST/PUT/PATCH/DELETE routes: 403
  unless the form field or header carries the right token. Requests that authenticate with
  an API key header need no token: a browser never adds that header to a cross-site request.
"""

from __future__ import annotations

import hmac
import re
import secrets

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headway.errors import Forbidden
from headway.web.sessions import auth_state, current_session, key_principal, sign

CSRF_COOKIE = "headway_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PENDING = "headway_csrf_cookie"  # request-state key: a new cookie to send with the response
_COOKIE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(request: Request) -> str:
    """The CSRF token for forms on this request's page."""
    return _token(request, _browser_cookie(request))


async def verify_csrf(request: Request) -> None:
    """Refuse a state-changing dashboard request without the right CSRF token."""
    if request.method in SAFE_METHODS or key_principal(request) is not None:
        return
    token = request.headers.get(CSRF_HEADER) or await _form_token(request)
    if not csrf_ok(request, token):
        raise csrf_refused()


def csrf_ok(request: Request, token: str | None) -> bool:
    """Whether ``token`` matches this browser's CSRF cookie and login session."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not token or not cookie or not _COOKIE_SHAPE.match(cookie):
        return False
    # As bytes: a forged token may hold any text (str comparison refuses non-ASCII: a 500).
    given = token.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(given, _token(request, cookie).encode())


def csrf_refused() -> Forbidden:
    """The error for a missing or wrong token."""
    return Forbidden(
        "the request has no valid CSRF token (the page may be stale or from another site); "
        "reload the page and try again"
    )


def _token(request: Request, cookie: str) -> str:
    session = current_session(request)
    bound = f"{cookie}|{session.nonce if session else ''}"
    return sign(auth_state(request).secret, "csrf", bound)


def _browser_cookie(request: Request) -> str:
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie and _COOKIE_SHAPE.match(cookie):
        return cookie
    pending: str | None = getattr(request.state, _PENDING, None)
    if pending is None:
        pending = secrets.token_urlsafe(32)
        setattr(request.state, _PENDING, pending)
    return pending


async def _form_token(request: Request) -> str | None:
    if not request.headers.get("content-type", "").startswith(_FORMS):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


class CsrfCookie:
    """ASGI middleware: send the CSRF cookie a page's token was made from, when it is new."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # the dict behind request.state

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and state.get(_PENDING):
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                headers.append(
                    "set-cookie",
                    f"{CSRF_COOKIE}={state[_PENDING]}; Path=/; HttpOnly; SameSite=Lax{secure}",
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)
