"""What every SDK endpoint shares: the write key, the body, and storing what a preset maps.

Authentication (docs/sdks.md): the SDK's write key or project key is a Headway API key with
the ``ingest`` scope, sent as HTTP Basic user name (Segment, RudderStack), as a Bearer or
``X-API-Key`` header, or in the body (``writeKey``, ``api_key``, ``token``). While the database
holds no key (local mode) the endpoints follow every API route's local rules: callers on this
machine only, no cross-site browser requests, any write key accepted.

Storing: each raw message is mapped by its tool's preset (``headway.ingest.presets``) into
activities, identity claims and contact attributes; the activities are validated like
``POST /api/v1/activities`` and appended through the store's single writer (ids dedupe
retries), then the claims and attributes of the accepted messages are recorded. The answer is
sent after all of it is committed, so a 2xx means it is on disk.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from fastapi import Request

from headway.api import Headway, Principal
from headway.errors import Detail, Forbidden, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from headway.ingest.presets import IdentityClaim, Mapped
from headway.ingest.records import Rejected, validate_records
from headway.web.api.activities import api_words, check_size
from headway.web.auth import KeyRequired, require_scope
from headway.web.sessions import auth_state, check_key, presented_key

SCOPE = "ingest"
# A browser SDK on the site's own pages may read the answer (counts only; no credentials).
READABLE = {"Access-Control-Allow-Origin": "*"}
_LOCAL = require_scope(SCOPE)
Mapper = Callable[[Any], Mapped]


def header_key(request: Request) -> str | None:
    """The key in the headers: HTTP Basic user name (Segment's write key), Bearer, X-API-Key."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return presented_key(request)
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise KeyRequired(
            "the Authorization header is not valid HTTP Basic credentials (base64 of 'WRITE_KEY:')"
        ) from None
    return user or password or None


def admit_early(request: Request) -> Principal | None:
    """The caller, when it can be known before the body is read (local mode, a header key)."""
    if auth_state(request).local_mode():
        return _LOCAL(request)  # the local rules of every API route
    key = header_key(request)
    return admit(request, key) if key else None


def admit(request: Request, key: str | None) -> Principal:
    """The caller holding ``key``: 401 without a valid key, 403 without the ingest scope."""
    if key is None:
        raise KeyRequired(
            "this endpoint needs a write key: configure the SDK's write key (or project API "
            "key) as a Headway API key with the ingest scope ('headway keys create')"
        )
    principal = check_key(request, key)
    if principal is None:
        raise KeyRequired("the write key is not a valid Headway API key: unknown or revoked")
    if not principal.allows(SCOPE):
        raise Forbidden(f"this API key lacks the {SCOPE!r} scope needed to send events")
    return principal


def decoded_body(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body without its Content-Encoding (``gzip`` or none); 415 for another one."""
    value = (encoding or "").strip().lower()
    if value in ("", "identity"):
        return body
    if value in ("gzip", "x-gzip"):
        return gunzip(body, limit)
    raise UnsupportedMediaType(
        f"the Content-Encoding {value!r} is not supported; send gzip or an uncompressed body",
        [Detail("use gzip or none", field="Content-Encoding")],
    )


def gunzip(body: bytes, limit: int) -> bytes:
    """A gzip body decompressed, refusing more than ``limit`` bytes of output (413)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as err:
        raise InvalidInput(
            f"the body is not valid gzip ({err})", [Detail("is not valid gzip", field="body")]
        ) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(
            f"the decompressed body is larger than the limit of {limit} bytes",
            [Detail(f"at most {limit} bytes once decompressed", field="body")],
        )
    if not inflater.eof:
        raise InvalidInput(
            "the gzip body is cut short", [Detail("is truncated gzip", field="body")]
        )
    return out


def parse_json(body: bytes) -> Any:
    """The JSON value of a body, or 422 naming where it stops being JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        where = f"{err.msg} at line {err.lineno}, column {err.colno}"
        raise InvalidInput(
            f"the body is not valid JSON: {where}", [Detail(where, field="body")]
        ) from None


def store_messages(
    headway: Headway, messages: list[Any], mapper: Mapper, source: str, fields: dict[str, str]
) -> dict[str, Any]:
    """Map, validate and store ``messages``; ``{"accepted", "duplicates", "rejected"}``.

    ``fields`` names each canonical field (``type``, ``contact``, ...) as the tool's wire
    format does, so a rejection names the field the sender wrote.
    """
    check_size(len(messages))
    problems: list[Detail] = []
    kept: dict[int, Mapped] = {}
    activities: list[dict[str, Any]] = []
    owners: list[int] = []
    for index, raw in enumerate(messages):
        try:
            mapped = mapper(raw)
        except Rejected as err:
            problems.append(Detail(err.reason, field=err.field, record=index))
            continue
        too_deep = _too_deep(mapped)
        if too_deep is not None:
            problems.append(Detail(too_deep, field="properties", record=index))
            continue
        kept[index] = mapped
        activities.extend(mapped.activities)
        owners.extend([index] * len(mapped.activities))
    table, invalid = validate_records(activities, source=source)
    for detail in invalid:
        owner = owners[int(detail.record or 0)]
        kept.pop(owner, None)
        field = fields.get(detail.field or "", detail.field)
        problems.append(Detail(detail.reason, field=field, record=owner))
    problems.sort(key=lambda d: int(d.record or 0))
    if table.num_rows == 0:
        raise InvalidInput(
            f"every message was rejected ({len(problems)}); nothing was stored",
            [Detail(api_words(d), field=d.field, record=d.record) for d in problems],
        )
    result = headway.append_activity_table(table.filter(_accepted_rows(owners, kept, invalid)))
    claims = _earliest_claims(c for m in kept.values() for c in m.identities)
    attributes = [a for m in kept.values() for a in m.attributes]
    if claims:
        headway.claim_identities(claims)
    if attributes:
        headway.set_attributes(attributes)
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": [
            {"index": d.record, "field": d.field, "reason": api_words(d)} for d in problems
        ],
    }


def _earliest_claims(claims: Iterable[IdentityClaim]) -> list[IdentityClaim]:
    """One claim per (alias, contact) pair, the earliest (browser SDKs repeat the anonymous id
    on every call after sign-up, so a batch says the same thing many times)."""
    earliest: dict[tuple[str, str], IdentityClaim] = {}
    for claim in claims:
        key = (claim.alias, claim.contact)
        if key not in earliest or claim.at < earliest[key].at:
            earliest[key] = claim
    return list(earliest.values())


def _too_deep(mapped: Mapped) -> str | None:
    """Why an activity's properties cannot be stored as JSON (nested too deeply), or None."""
    for activity in mapped.activities:
        try:
            orjson.dumps(activity.get("properties"))
        except orjson.JSONEncodeError:
            return "is nested too deeply (JSON text of at most 255 levels is stored)"
    return None


def _accepted_rows(owners: list[int], kept: dict[int, Mapped], invalid: list[Detail]) -> list[bool]:
    """Which valid activities belong to a message none of whose activities was rejected."""
    bad = {int(d.record or 0) for d in invalid}
    return [owners[i] in kept for i in range(len(owners)) if i not in bad]
