"""Security headers on every response: CSP, no framing, no sniffing, a referrer policy.

The Content-Security-Policy allows scripts only from this server (``script-src 'self'``: no
inline script, no ``eval``); the pages keep their JavaScript in ``/static`` and their chart
data in ``<script type="application/json">`` blocks, which are data and never run. Styles
allow ``'unsafe-inline'`` because Plotly and Swagger UI set ``style`` attributes as they draw;
a style cannot run code. A page with an inline script of its own (Swagger UI's start-up
call at ``/api/docs``) sends its own policy naming that script by hash (``inline_script_csp``).

The ``Host`` header is never echoed: a redirect that Starlette makes absolute from it (the
trailing-slash redirect) is rewritten to a relative ``Location``, and the app's own links
(``next`` pages, a saved journey's ``url``) are relative.

Tracking links (``/t/…``) send ``Referrer-Policy: no-referrer`` so the site a click is
redirected to does not learn the tracking host; everything else sends
``strict-origin-when-cross-origin``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
CSP = "; ".join(f"{name} {value}" for name, value in POLICY.items())
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}
TRACKING_PREFIX = "/t/"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_script_csp(html: str) -> str:
    """The policy for ``html`` whose own inline ``<script>`` blocks may run (by hash)."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    policy = POLICY | {"script-src": " ".join(["'self'", *hashes])}
    return "; ".join(f"{name} {value}" for name, value in policy.items())


class SecurityHeaders:
    """ASGI middleware: add the security headers to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracking = str(scope.get("path", "")).startswith(TRACKING_PREFIX)
        host = _host(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if tracking:
                    headers["referrer-policy"] = "no-referrer"
                if "location" in headers:
                    headers["location"] = _relative(headers["location"], host)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return str(value.decode("latin-1")).lower()
    return ""


def _relative(location: str, host: str) -> str:
    """``location`` without scheme and host when it points back at the request's ``Host``."""
    parts = urlsplit(location)
    if not parts.netloc or parts.netloc.lower() != host:
        return location
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return (parts.path or "/") + query + fragment
