"""Segment's HTTP Tracking API, which RudderStack's SDKs speak too (docs/sdks.md).

``POST /v1/track``, ``/v1/identify``, ``/v1/page``, ``/v1/screen``, ``/v1/group``,
``/v1/alias`` take one message (its call is the path's; also analytics.js's short paths
``/v1/t``, ``/v1/p``, ...); ``POST /v1/batch`` (and ``/v1/import``, analytics.js's ``/v1/b``)
take ``{"batch": [messages], "context"?: {...}}``, where the batch's ``context`` fills in what
a message's own context lacks. The write key is a Headway API key with the ingest scope (HTTP
Basic user name, or ``writeKey`` in the body); bodies may be gzip (``Content-Encoding:
gzip``). Messages are mapped by ``presets/segment.py``; a message with a ``channel``
(RudderStack's SDKs send one) is stored with source ``rudderstack``. Answers 200
``{"success": true, "accepted", "duplicates", "rejected"}`` once stored; 4xx in Headway's error
shape otherwise (every message rejected: 422 naming each message's index and field).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from headway.api import Headway
from headway.errors import Detail, InvalidInput
from headway.ingest.presets import Mapped
from headway.ingest.presets.segment import CALLS, map_message
from headway.web.api._common import errors
from headway.web.sdk import delivery

router = APIRouter(tags=["sdk"])

# How Segment's messages name the fields that the shared validation checks.
FIELDS = {"type": "event", "contact": "userId", "ts": "timestamp", "id": "messageId"}
BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
RESPONSES = errors(401, 403, 413, 415, 422)


async def _receive(request: Request, call: str | None) -> Response:
    principal = delivery.admit_early(request)
    body = await request.body()
    limit = request.app.state.settings.max_body_bytes
    headway: Headway = request.app.state.headway
    raw = delivery.decoded_body(body, request.headers.get("content-encoding"), limit)
    payload = await run_in_threadpool(delivery.parse_json, raw)
    if principal is None:
        key = payload.get("writeKey") if isinstance(payload, dict) else None
        delivery.admit(request, key if isinstance(key, str) and key else None)
    messages = _messages(payload, call)
    source = _source(request)
    received = datetime.now(UTC).isoformat()
    answer = await run_in_threadpool(
        delivery.store_messages,
        headway,
        [_stamped(m, received) for m in messages],
        lambda m: _mapped(m, source),
        source,
        FIELDS,
    )
    body = orjson.dumps({"success": True, **answer})
    return Response(body, media_type="application/json", headers=delivery.READABLE)


def _messages(payload: Any, call: str | None) -> list[Any]:
    """The messages of a body: one (its type set by the path) or a batch's."""
    if not isinstance(payload, dict):
        raise InvalidInput(
            'the body must be a JSON object (a Segment message, or {"batch": [...]})',
            [Detail("must be a JSON object", field="body")],
        )
    if call is not None:
        return [{**payload, "type": call}]
    batch = payload.get("batch")
    if not isinstance(batch, list):
        raise InvalidInput(
            "a batch body is {\"batch\": [messages]}; 'batch' is missing or not an array",
            [Detail("must be an array of messages", field="batch")],
        )
    shared = payload.get("context")
    if not isinstance(shared, dict) or not shared:
        return batch
    return [_with_context(m, shared) for m in batch]


def _with_context(message: Any, shared: dict[str, Any]) -> Any:
    if not isinstance(message, dict):
        return message
    own = message.get("context")
    if own is None:
        return {**message, "context": shared}
    return {**message, "context": {**shared, **own}} if isinstance(own, dict) else message


def _stamped(message: Any, received: str) -> Any:
    """The message with ``receivedAt`` (when the server got it) unless it has one."""
    if isinstance(message, dict) and message.get("receivedAt") is None:
        return {**message, "receivedAt": received}
    return message


def _source(request: Request) -> str:
    agent = request.headers.get("user-agent", "").lower()
    return "rudderstack" if "rudder" in agent else "segment"


def _mapped(message: Any, source: str) -> Mapped:
    # RudderStack's SDKs mark every message with its ``channel``; Segment's do not.
    if isinstance(message, dict) and isinstance(message.get("channel"), str):
        source = "rudderstack"
    return map_message(message, source=source)


def _call_route(call: str) -> None:
    async def receive(request: Request) -> Response:
        return await _receive(request, call)

    receive.__doc__ = f"Store one Segment {call} call; answered once it is on disk."
    receive.__name__ = f"segment_{call}"
    router.add_api_route(
        f"/v1/{call}",
        receive,
        methods=["POST"],
        summary=f"Segment {call} call",
        description=f"One Segment-spec `{call}` message (docs/sdks.md).",
        responses=RESPONSES,
        openapi_extra=BODY,
    )
    # analytics.js (the browser library) posts each call to its initial: /v1/t, /v1/p, ...
    router.add_api_route(f"/v1/{call[0]}", receive, methods=["POST"], include_in_schema=False)


for _call in CALLS:
    _call_route(_call)


def _batch_route(path: str, name: str, summary: str, doc: str) -> Callable[..., Any]:
    """Route ``path`` to the batch receiver, as ``name`` documented by ``summary`` and ``doc``."""

    async def receive(request: Request) -> Response:
        return await _receive(request, None)

    receive.__doc__ = doc
    receive.__name__ = name
    router.add_api_route(
        path,
        receive,
        methods=["POST"],
        summary=summary,
        responses=RESPONSES,
        openapi_extra=BODY,
    )
    return receive


segment_batch = _batch_route(
    "/v1/batch",
    "segment_batch",
    "Segment / RudderStack batch",
    "Store a batch of Segment-spec messages; answered once they are on disk.",
)
router.add_api_route("/v1/b", segment_batch, methods=["POST"], include_in_schema=False)
segment_import = _batch_route(
    "/v1/import",
    "segment_import",
    "Segment import (a batch)",
    "Store a batch of historical Segment-spec messages (same as ``/v1/batch``).",
)
