"""PostHog's capture API: ``POST /batch/``, ``/capture/``, ``/e/``, ``/i/v0/e/``, ``/track/``
(docs/sdks.md).

A body is one event, a JSON array of events, or ``{"batch": [events]}`` (with ``api_key``
beside it, as the server SDKs send). The project API key is a Headway API key with the ingest
scope: ``api_key`` or ``token`` in the body or in an event (``properties.token``, as
posthog-js sends it), or a Bearer header. Bodies come as the clients send them: JSON, gzip
(``Content-Encoding: gzip`` or ``?compression=gzip-js``), or form-encoded ``data=`` holding
the JSON or its base64 (``compression=base64``). Events are mapped by ``presets/posthog.py``.
Answers 200 ``{"status": 1, "accepted", "duplicates", "rejected"}`` once stored; 4xx in
Headway's error shape otherwise.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from headway.api import Headway
from headway.errors import Detail, InvalidInput, UnsupportedMediaType
from headway.ingest.presets.posthog import SOURCE, map_event
from headway.web.api._common import errors
from headway.web.sdk import delivery

router = APIRouter(tags=["sdk"])

PATHS = ("/batch/", "/capture/", "/e/", "/i/v0/e/", "/track/")
FIELDS = {"type": "event", "contact": "distinct_id", "ts": "timestamp", "id": "uuid"}
FORM = "application/x-www-form-urlencoded"
KEY_FIELDS = ("api_key", "token")


async def capture(request: Request) -> Response:
    """Store PostHog events (one, an array or a batch); answered once they are on disk."""
    principal = delivery.admit_early(request)
    body = await request.body()
    limit = request.app.state.settings.max_body_bytes
    headway: Headway = request.app.state.headway
    payload = await run_in_threadpool(_payload, request, body, limit)
    events = _events(payload)
    if principal is None:
        delivery.admit(request, _key(payload, events))
    received = datetime.now(UTC).replace(tzinfo=None)
    answer = await run_in_threadpool(
        delivery.store_messages,
        headway,
        events,
        lambda e: map_event(e, received=received),
        SOURCE,
        FIELDS,
    )
    body = orjson.dumps({"status": 1, **answer})
    return Response(body, media_type="application/json", headers=delivery.READABLE)


def _payload(request: Request, body: bytes, limit: int) -> Any:
    """The JSON value a capture request carries, however it was packed."""
    compression = request.query_params.get("compression", "").lower()
    encoding = request.headers.get("content-encoding")
    if compression in ("gzip", "gzip-js") and not encoding:
        encoding = "gzip"
    body = delivery.decoded_body(body, encoding, limit)
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind == FORM or body.startswith(b"data="):
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
        data = (form.get("data") or [""])[0]
        compression = (form.get("compression") or [compression])[0].lower()
        body = data.encode()
    if compression == "lz64":
        raise UnsupportedMediaType(
            "lz64 compression is not supported; configure the client for gzip-js or none",
            [Detail("use gzip-js, base64 or none", field="compression")],
        )
    stripped = body.lstrip()
    if compression == "base64" or (stripped and stripped[:1] not in (b"{", b"[")):
        body = _unbase64(stripped)
    return delivery.parse_json(body)


def _unbase64(body: bytes) -> bytes:
    try:
        return base64.b64decode(body + b"=" * (-len(body) % 4), altchars=b"-_")
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "the body is neither JSON nor base64 of JSON",
            [Detail("must be JSON (or base64 of JSON)", field="body")],
        ) from None


def _events(payload: Any) -> list[Any]:
    """The events of a body: a batch's, an array's, or the one event."""
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        raise InvalidInput(
            'the body must be a PostHog event, an array of events or {"batch": [...]}',
            [Detail("must be a JSON object or array", field="body")],
        )
    if "event" in payload or ("batch" not in payload and "data" not in payload):
        return [payload]
    field = "batch" if "batch" in payload else "data"
    batch = payload[field]
    if isinstance(batch, dict):
        return [batch]
    if not isinstance(batch, list):
        raise InvalidInput(
            f"{field!r} must be an array of events", [Detail("must be an array", field=field)]
        )
    return batch


def _key(payload: Any, events: list[Any]) -> str | None:
    """The project API key: beside the batch, else in the first event that carries one."""
    holders = [payload, *events[:1000]]
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        props = holder.get("properties")
        for place in (holder, props if isinstance(props, dict) else {}):
            for field in KEY_FIELDS:
                value = place.get(field)
                if isinstance(value, str) and value:
                    return value
    return None


for _path in PATHS:
    router.add_api_route(
        _path,
        capture,
        methods=["POST"],
        summary=f"PostHog capture ({_path})",
        description="PostHog events: one, an array or a batch (docs/sdks.md).",
        responses=errors(401, 403, 413, 415, 422),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {}},
                    FORM: {"schema": {"type": "object"}},
                },
            }
        },
        operation_id=f"posthog_capture_{_path.strip('/').replace('/', '_')}",
    )
    router.add_api_route(_path.rstrip("/"), capture, methods=["POST"], include_in_schema=False)
