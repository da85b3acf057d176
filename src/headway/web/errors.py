"""The web's one error boundary: every failure becomes ``{"error": {code, message, details}}``.

``HeadwayError`` subclasses carry their own status and code; request validation errors become
``invalid_input`` (422) with one detail per problem; routing errors keep their status; anything
unexpected is logged and answered with a plain 500 in the same shape, never a traceback page.
Bodies over the configured limit are refused with 413 before a handler reads them whole.
Browsers asking for a dashboard page (``Accept: text/html``, not an API, tracking or webhook
path) get the same error as an HTML page instead.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headway.errors import Detail, HeadwayError, PayloadTooLarge
from headway.web.security_headers import HEADERS as SECURITY_HEADERS

log = logging.getLogger("headway.web")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
# Paths whose clients are programs (or have their own pages): always JSON from here.
_MACHINE_PREFIXES = ("/api/", "/t/", "/webhooks/", "/static/", "/health", "/v1/")
# PostHog's capture paths (web/sdk/posthog.py), without their trailing slash.
_SDK_PATHS = frozenset({"/batch", "/capture", "/e", "/i/v0/e", "/track"})


def error_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON error response: ``{"error": body}`` with ``status``."""
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def wants_html(request: Request) -> bool:
    """True for a browser asking for a dashboard page (its errors are pages too)."""
    path = request.url.path
    if path == "/api" or path.startswith(_MACHINE_PREFIXES) or path.rstrip("/") in _SDK_PATHS:
        return False
    return "text/html" in request.headers.get("accept", "")


def _answer(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    if not wants_html(request):
        return error_response(status, body, headers)
    from headway.web.templating import render  # late: templating is for pages only

    page = render(request, "error.html", {"status": status, "error": body}, status_code=status)
    page.headers.update(headers or {})
    return page


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the app can raise to the JSON error shape."""
    app.add_exception_handler(HeadwayError, _headway_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)


async def _headway_error(request: Request, err: HeadwayError) -> Response:
    return _answer(request, err.http_status, err.to_dict())


async def _validation_error(request: Request, err: RequestValidationError) -> Response:
    details = [_detail(e) for e in err.errors()]
    message = "the request is not valid: " + str(details[0]) if details else "invalid request"
    return _answer(
        request,
        422,
        {"code": "invalid_input", "message": message, "details": [d.to_dict() for d in details]},
    )


async def _http_error(request: Request, err: StarletteHTTPException) -> Response:
    # FastAPI turns any failure while reading a JSON body into a bare 400: answer what it was.
    cause = err.__cause__
    if err.status_code == 400 and isinstance(cause, HeadwayError):
        return await _headway_error(request, cause)  # the size limit (BodySizeLimit): 413
    if err.status_code == 400 and isinstance(cause, ValueError):
        reason = f"is not valid UTF-8 JSON: {cause}"
        body = {"code": "invalid_input", "message": f"the request body {reason}"}
        return _answer(request, 422, {**body, "details": [Detail(reason, field="body").to_dict()]})
    code = _HTTP_CODES.get(err.status_code, "error")
    message = err.detail if isinstance(err.detail, str) else code.replace("_", " ")
    if err.status_code == 404 and message == "Not Found":
        message = f"nothing at {request.url.path}"
    return _answer(
        request,
        err.status_code,
        {"code": code, "message": message, "details": []},
        dict(err.headers or {}),
    )


async def _unexpected_error(request: Request, err: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    body = {
        "code": "internal_error",
        "message": "the server hit an unexpected error; it has been logged",
        "details": [],
    }
    # Answered outside the app's middleware (Starlette's outermost layer): add them here.
    return _answer(request, 500, body, dict(SECURITY_HEADERS))


def _detail(e: Any) -> Detail:
    loc = [str(p) for p in e.get("loc", ())]
    where = loc[0] if loc else None
    field = ".".join(loc[1:]) or where
    return Detail(str(e.get("msg", "invalid")), field=field)


class BodySizeLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise self._error()  # raised inside the handler: the error boundary answers
            return message

        await self.app(scope, counted, send)

    def _error(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"the request body is larger than the limit of {self.max_bytes} bytes",
            [Detail(f"at most {self.max_bytes} bytes", field="body")],
        )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        err = self._error()
        response = error_response(err.http_status, err.to_dict(), {"Connection": "close"})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
