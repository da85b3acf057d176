"""Journeys: create or version from YAML or JSON, validate, list, read versions, delete.

Journey names may hold any character; in URLs they are one percent-encoded path segment
(``/`` decoded by the server is accepted too, see ``JourneyNameConvertor``).

A body is a definition as ``application/yaml`` (or ``text/yaml``) or ``application/json``;
it is parsed and checked by the engine (``model.journey.parse_journey``), whose problems
become the 422 details with their field paths (``stages[1].when.type``). Saving goes through
the service (``Headway.save_journey``): an unchanged definition keeps its version.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from headway.api import Headway, StoredJourney, iso
from headway.errors import (
    Detail,
    InvalidInput,
    InvalidJourney,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from headway.model.journey import Journey, journey_to_dict, parse_journey
from headway.model.journey_limits import MAX_DEFINITION_BYTES, too_large
from headway.web.api._common import ADMIN, READ, errors
from headway.web.api.discovery import WarningOut
from headway.web.app_state import app_headway
from headway.web.request_bodies import read_capped

router = APIRouter(tags=["journeys"])

YAML_TYPES = ("application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml")
JSON_TYPES = ("application/json",)
_BODY = {
    "requestBody": {
        "required": True,
        "description": "A journey definition (docs/journeys.md), as YAML or JSON.",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "text/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


_UNCHANGED: dict[int | str, dict[str, Any]] = {
    200: {"description": "Unchanged: the definition equals the latest version"}
}


class VersionOut(BaseModel):
    """One stored version of a journey."""

    name: str
    version: int
    created_at: str
    deleted: bool
    stage_count: int
    error: str | None = None  # why the definition does not validate today (reports refuse it)


class JourneyOut(BaseModel):
    """A stored journey version: its canonical definition and the text it was saved from."""

    name: str
    version: int
    created_at: str
    deleted: bool
    stages: list[str]
    definition: dict[str, Any]
    source_text: str | None
    error: str | None = None  # why the definition does not validate today (reports refuse it)


class SavedOut(BaseModel):
    """The answer to a save: the version now current and whether it is new."""

    name: str
    version: int
    saved: bool
    stages: list[str]
    url: str


class JourneyListOut(BaseModel):
    """The stored journeys (latest versions, deleted ones left out)."""

    journeys: list[VersionOut]


class VersionsOut(BaseModel):
    """Every version of a journey, oldest first."""

    name: str
    versions: list[VersionOut]


class ProblemOut(BaseModel):
    """One problem of a definition: where (a field path, null for the whole) and why."""

    field: str | None
    reason: str


class ValidationOut(BaseModel):
    """The engine's verdict on a definition: valid, or every problem with its field path."""

    valid: bool
    name: str | None
    stages: list[str]
    messages: list[ProblemOut]
    warnings: list[WarningOut] = []


class DeletedOut(BaseModel):
    """A deleted journey; its versions stay readable by number."""

    name: str
    deleted: bool
    versions_kept: int


def _hw(request: Request) -> Headway:
    hw: Headway = request.app.state.headway
    return hw


async def _read_definition(request: Request) -> tuple[Journey, str]:
    """The journey in the request body and its text; 415 or 422 when it is not one."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in YAML_TYPES + JSON_TYPES:
        raise UnsupportedMediaType(
            f"send the journey as application/yaml, text/yaml or application/json, not {kind!r}"
            if kind
            else "send the journey with a Content-Type of application/yaml or application/json",
            [Detail("unsupported content type", field="content-type")],
        )
    try:
        text = (await read_capped(request, MAX_DEFINITION_BYTES, _too_large)).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidJourney(
            "the journey definition is not UTF-8 text", [Detail("not UTF-8", field="body")]
        ) from None
    # Parsing (and saving, below) runs off the event loop: other requests keep flowing.
    return await run_in_threadpool(_parse, text), text


def _too_large(size: int | None) -> PayloadTooLarge:
    detail = Detail(f"at most {MAX_DEFINITION_BYTES:,} bytes", field="body")
    return PayloadTooLarge(too_large(size), [detail])


def _parse(text: str) -> Journey:
    # Aliases, depth, size and every other limit are checked by parse_journey, in linear time.
    try:
        return parse_journey(text)
    except InvalidJourney as err:
        if err.details:
            raise
        # Syntax errors and empty bodies carry no field: they are about the body as a whole.
        raise InvalidJourney(err.message, [Detail(err.message, field="body")]) from None


async def _save(request: Request, response: Response, name: str | None) -> dict[str, Any]:
    journey, text = await _read_definition(request)
    if name is not None and journey.name != name:
        raise InvalidInput(
            f"the definition is named {journey.name!r}, not {name!r} as in the URL",
            [Detail(f"must be {name!r} (the name in the URL)", field="name")],
        )
    before, version = await run_in_threadpool(_store_version, _hw(request), journey, text)
    url = f"{request.url_for('journeys').path}/{quote(journey.name, safe='')}"  # no Host
    response.status_code = 200 if before == version else 201
    response.headers["Location"] = url
    stages = [s.name for s in journey.stages]
    return {
        "name": journey.name,
        "version": version,
        "saved": before != version,
        "stages": stages,
        "url": url,
    }


def _store_version(hw: Headway, journey: Journey, text: str) -> tuple[int | None, int]:
    """The latest version before saving (None for a new journey) and the version now."""
    before = {j.name: j.version for j in hw.journeys()}.get(journey.name)
    return before, hw.save_journey(journey, text)


@router.post(
    "/journeys/validate",
    summary="Check a definition without saving it",
    response_model=ValidationOut,
    dependencies=READ,
    responses=errors(401, 403, 413, 415),
    openapi_extra=_BODY,
)
async def validate(request: Request) -> dict[str, Any]:
    """The engine's messages for a definition (what the journey editor shows as you type)."""
    try:
        journey, _ = await _read_definition(request)
    except InvalidJourney as err:
        messages = [{"field": d.field, "reason": d.reason} for d in err.details]
        return {"valid": False, "name": None, "stages": [], "messages": messages, "warnings": []}
    stages = [s.name for s in journey.stages]
    # What can match nothing in this data: shown, never blocking (docs/discovery.md).
    found = await run_in_threadpool(app_headway(request).warnings, journey)
    warnings = [w.to_dict() for w in found]
    return {
        "valid": True, "name": journey.name, "stages": stages, "messages": [],
        "warnings": warnings,
    }  # fmt: skip


@router.post(
    "/journeys",
    summary="Create a journey, or save a new version of it",
    response_model=SavedOut,
    status_code=201,
    dependencies=ADMIN,
    responses=errors(401, 403, 413, 415, 422, extra=_UNCHANGED),
    openapi_extra=_BODY,
)
async def create(request: Request, response: Response) -> dict[str, Any]:
    """Validate and store a definition under its own name (201; 200 when unchanged)."""
    return await _save(request, response, None)


@router.get(
    "/journeys",
    summary="The stored journeys with their latest versions",
    response_model=JourneyListOut,
    dependencies=READ,
    responses=errors(401, 403),
)
def journeys(request: Request) -> dict[str, Any]:
    """Every journey not deleted, by name."""
    return {"journeys": [_version(j) for j in _hw(request).journeys()]}


@router.put(
    "/journeys/{name:api_journey}",
    summary="Save a new version of a named journey",
    response_model=SavedOut,
    status_code=201,
    dependencies=ADMIN,
    responses=errors(401, 403, 413, 415, 422, extra=_UNCHANGED),
    openapi_extra=_BODY,
)
async def put(request: Request, response: Response, name: str) -> dict[str, Any]:
    """Like POST /journeys; the definition's name must be the one in the URL (else 422)."""
    return await _save(request, response, name)


@router.get(
    "/journeys/{name:api_journey}",
    summary="A journey's latest version",
    response_model=JourneyOut,
    dependencies=READ,
    responses=errors(401, 403, 404),
)
def journey(request: Request, name: str) -> dict[str, Any]:
    """The canonical definition and source text of the latest version."""
    return _journey(_hw(request), name, None)


@router.get(
    "/journeys/{name:api_journey}/versions",
    summary="Every version of a journey",
    response_model=VersionsOut,
    dependencies=READ,
    responses=errors(401, 403, 404),
)
def versions(request: Request, name: str) -> dict[str, Any]:
    """Versions oldest first, deleted journeys included."""
    rows = _hw(request).journey_versions(name)
    return {"name": name, "versions": [_version(v) for v in rows]}


@router.get(
    "/journeys/{name:api_journey}/versions/{version}",
    summary="One version of a journey",
    response_model=JourneyOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def version(request: Request, name: str, version: int) -> dict[str, Any]:
    """A version by number (readable after the journey was deleted)."""
    return _journey(_hw(request), name, version)


@router.delete(
    "/journeys/{name:api_journey}",
    summary="Delete a journey (its versions stay readable)",
    response_model=DeletedOut,
    dependencies=ADMIN,
    responses=errors(401, 403, 404),
)
def delete(request: Request, name: str) -> dict[str, Any]:
    """Take a journey off the list; deleting it again answers 404."""
    kept = _hw(request).delete_journey(name)
    return {"name": name, "deleted": True, "versions_kept": kept}


def _journey(hw: Headway, name: str, number: int | None) -> dict[str, Any]:
    definition, number = hw.stored_definition(name, number)
    stored = next(v for v in hw.journey_versions(name) if v.version == number)
    try:
        journey = hw.stored_journey(name, number)[0]
        stages, definition = [s.name for s in journey.stages], journey_to_dict(journey)
    except InvalidJourney:  # saved by an older version: shown as stored, with its error
        raw = definition.get("stages") if isinstance(definition, dict) else None
        stages = [str(s.get("name")) for s in raw or [] if isinstance(s, dict)]
    return {
        **_version(stored),
        "stages": stages,
        "definition": definition if isinstance(definition, dict) else {},
        "source_text": hw.journey_source(name, number),
    }


def _version(v: StoredJourney) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": v.version,
        "created_at": iso(v.created_at),
        "deleted": v.deleted,
        "stage_count": v.stage_count,
        "error": v.error,
    }
