"""Tracking routes: open pixel, click redirect, unsubscribe (RFC 8058 one-click).

Every route verifies its signed token first. A click redirects only to the URL registered for
that email's link in ``email_links``; nothing in the request can choose the target. An invalid
token, an unknown link or an attempt to steer the target answers a 404 page without
``Location``. A GET never unsubscribes; a POST does, once per contact and email.

A genuine token past its expiry (``tracking.token_lifetime_days``) records nothing: its pixel
is still served and its click still goes to the registered URL (the reader clicked a real link
in a real email), and its unsubscribe still works (an opt-out is honoured whatever its age).
Repeated opens and clicks of one token from one client are deduplicated (``tracking_dedupe``);
stored header values are cut to ``tracking.max_header_chars`` with a visible marker.
"""

from __future__ import annotations

import hashlib
import html
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import pyarrow as pa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from headway.errors import HeadwayError
from headway.ingest.tokens import ExpiredToken, InvalidToken, Purpose, TrackingToken
from headway.web.app_state import app_headway
from headway.web.recorder import ACTIVITY_SCHEMA, Recorder
from headway.web.tracking_dedupe import Dedupe

router = APIRouter()

# A transparent 1×1 GIF.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
NO_CACHE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, private",
    "Pragma": "no-cache",
    "Expires": "0",
}
_PRIVATE = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
# Query parameters that ask an open redirector where to go: their presence is an attack.
_STEERING = {
    "url", "u", "redirect", "redirect_uri", "redirect_url", "next", "to", "target", "dest",
    "destination", "goto", "return", "return_to", "returnto", "continue", "link",
}  # fmt: skip
_URL_SCHEMES = {"http", "https", "ftp", "file", "javascript", "data", "vbscript"}


@router.api_route("/t/o/{token}.gif", methods=["GET", "HEAD"], include_in_schema=False)
async def open_pixel(request: Request, token: str) -> Response:
    """The open pixel: always the GIF; a valid token records ``email_open``."""
    found, expired = _verify(request, token, "open")
    if found is not None and not expired:
        email = await run_in_threadpool(app_headway(request).find_email, found.email)
        props = {"email": found.email, "campaign": email.campaign if email else None}
        await _record(request, "email_open", found, props)
    return Response(PIXEL, media_type="image/gif", headers={**NO_CACHE, **_PRIVATE})


@router.api_route("/t/c/{token}", methods=["GET", "HEAD"], include_in_schema=False)
async def click(request: Request, token: str) -> Response:
    """A tracked click: 302 to the link's registered URL, or the 404 page."""
    found, expired = _verify(request, token, "click")
    if found is None or found.link is None or _steers(request):
        return not_found_page()
    link = await run_in_threadpool(app_headway(request).email_link, found.email, found.link)
    if link is None:
        return not_found_page()
    if not expired:
        props = {"email": found.email, "link": link.link_id, "url": link.url}
        await _record(request, "email_click", found, {**props, "method": request.method})
    return Response(status_code=302, headers={"Location": link.url, **NO_CACHE, **_PRIVATE})


@router.api_route("/t/u/{token}", methods=["GET", "HEAD"], include_in_schema=False)
async def unsubscribe_page(request: Request, token: str) -> Response:
    """The confirmation page: a button that POSTs; showing it changes nothing."""
    found, _ = _verify(request, token, "unsubscribe")
    if found is None:
        return not_found_page()
    email = await run_in_threadpool(app_headway(request).find_email, found.email)
    name = html.escape(email.name if email else "these emails")
    body = (
        f"<h1>Unsubscribe</h1><p>Stop receiving <strong>{name}</strong>?</p>"
        '<form method="post"><input type="hidden" name="confirm" value="yes">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe", body, 200)


@router.post("/t/u/{token}", include_in_schema=False)
async def unsubscribe(request: Request, token: str) -> Response:
    """Unsubscribe the token's contact: RFC 8058 one-click or the confirmation form."""
    found, _ = _verify(request, token, "unsubscribe")  # an old opt-out is honoured too
    if found is None:
        return not_found_page()
    method = "one_click" if await _is_one_click(request) else "form"
    hw = app_headway(request)
    email = await run_in_threadpool(hw.find_email, found.email)
    props = {"email": found.email, "campaign": email.campaign if email else None, "method": method}
    table = _activity(request, "email_unsubscribe", found, props,
                      id=f"unsubscribe:{found.email}:{found.contact}")  # fmt: skip
    await run_in_threadpool(hw.record_unsubscribe, table, found.contact)
    body = "<h1>Unsubscribed</h1><p>You will not receive these emails any more.</p>"
    return _page("Unsubscribed", body, 200)


@router.api_route("/t/{rest:path}", methods=["GET", "HEAD", "POST"], include_in_schema=False)
async def unknown_tracking_path(rest: str) -> Response:
    """Anything else under /t/ (``/t/c/TOKEN//evil.example`` …): the 404 page."""
    return not_found_page()


def not_found_page() -> Response:
    """The 404 page of tracking links: no redirect, nothing recorded."""
    body = "<h1>Link not found</h1><p>This link is not valid or no longer exists.</p>"
    return _page("Link not found", body, 404)


def _page(title: str, body: str, status: int) -> HTMLResponse:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )
    return HTMLResponse(text, status_code=status, headers={**NO_CACHE, **_PRIVATE})


def _verify(
    request: Request, token: str, purpose: Purpose
) -> tuple[TrackingToken, bool] | tuple[None, bool]:
    """The token's content and whether it has expired; ``(None, False)`` when it is invalid."""
    signer = request.app.state.signer
    if signer is None:
        return None, False  # tracking disabled
    try:
        return signer.verify(token, purpose), False
    except ExpiredToken as err:
        return err.token, True
    except InvalidToken:
        return None, False


def _steers(request: Request) -> bool:
    """True when the query string tries to name a redirect target."""
    for key, value in request.query_params.multi_items():
        if key.lower() in _STEERING:
            return True
        text = unquote(value).strip()
        if text.startswith(("//", "\\\\", "/\\")) or _has_scheme(text):
            return True
    return False


def _has_scheme(text: str) -> bool:
    """True for absolute URLs and for schemes browsers run or resolve (``https:evil.example``)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return True
    return bool(parts.netloc) or parts.scheme.lower() in _URL_SCHEMES


async def _is_one_click(request: Request) -> bool:
    """True for the RFC 8058 body ``List-Unsubscribe=One-Click`` (urlencoded or multipart)."""
    ctype = request.headers.get("content-type", "").lower()
    if not ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        await request.body()  # read (and size-check) the body anyway
        return False
    try:
        form = await request.form()
    except HeadwayError:
        raise  # an oversized body is refused (413), not taken as a plain POST
    except Exception:  # a malformed form is still a POST: it unsubscribes, as a plain form
        return False
    return form.get("List-Unsubscribe") == "One-Click"


async def _record(request: Request, type: str, token: TrackingToken, props: dict[str, Any]) -> None:
    head = request.method == "HEAD"
    table = _activity(request, type, token, props, head=head)
    state = request.app.state
    recorder = getattr(state, "tracking_recorder", None)
    if recorder is None:
        recorder = state.tracking_recorder = Recorder(app_headway(request))
    dedupe = getattr(state, "tracking_dedupe", None)
    if dedupe is None:
        seconds = state.settings.tracking.dedupe_seconds
        dedupe = state.tracking_dedupe = Dedupe(seconds, recorder.record)
    client = request.client.host if request.client else None
    agent = request.headers.get("user-agent", "").encode("utf-8", "surrogatepass")
    key = (type, token.email, token.contact, token.link, client,
           hashlib.blake2b(agent, digest_size=16).digest(), head)  # fmt: skip
    if dedupe.repeat(key, table):
        return
    await recorder.record(table)
    dedupe.opened(key)


async def flush_tracking(app: Any) -> None:
    """Write the repeats of every open dedupe window (when the server stops)."""
    dedupe = getattr(app.state, "tracking_dedupe", None)
    if dedupe is not None:
        await dedupe.flush()


def truncated(value: str | None, limit: int) -> str | None:
    """``value`` cut to ``limit`` characters plus a marker naming how many were cut."""
    if value is None or len(value) <= limit:
        return value
    return f"{value[:limit]}…[truncated {len(value) - limit} chars]"


def _activity(
    request: Request,
    type: str,
    token: TrackingToken,
    props: dict[str, Any],
    id: str | None = None,
    head: bool = False,
) -> pa.Table:
    cap = request.app.state.settings.tracking.max_header_chars
    props = {
        **props,
        "user_agent": truncated(request.headers.get("user-agent"), cap),
        "ip": request.client.host if request.client else None,
    }
    row = {
        "id": id, "contact": token.contact, "type": type,
        "ts": datetime.now(UTC).replace(tzinfo=None),
        "properties": orjson.dumps(props).decode(),
        "bot": head, "bot_reason": "head_request" if head else None, "source": "tracking",
    }  # fmt: skip
    return pa.Table.from_pylist([row], schema=ACTIVITY_SCHEMA)
