"""Discovery: the activity types and property paths the data holds (docs/discovery.md).

Both answers come from the catalogue that every append keeps current (``Headway.types``,
``Headway.properties``), so they cost no scan of the log. ``WarningOut`` is the shape of
the journey warnings that the validate and report answers carry.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from headway.api import ReportOptions
from headway.model.journey import Journey
from headway.web.api._common import READ, errors
from headway.web.app_state import app_headway

router = APIRouter(tags=["discovery"])


class TypeOut(BaseModel):
    """One activity type: activities, distinct contacts, first and last seen (UTC)."""

    name: str
    activities: int
    contacts: int
    first_seen: str
    last_seen: str


class TypesOut(BaseModel):
    """Every activity type seen, most activities first."""

    types: list[TypeOut]


class ValueOut(BaseModel):
    """A value of a property (as in the JSON) and how many activities hold it."""

    value: str | int | float | bool
    activities: int


class PropertyOut(BaseModel):
    """A property path of a type: fill rate, JSON types seen (with counts), top values.

    ``path`` is written in the journey syntax (docs/journeys.md); ``keys`` are its keys.
    ``distinct_values`` is null and ``top_values`` empty for a high-cardinality path
    (more than 200 distinct values).
    """

    type: str
    path: str
    keys: list[str]
    activities: int
    fill_rate: float
    json_types: dict[str, int]
    high_cardinality: bool
    distinct_values: int | None
    top_values: list[ValueOut]


class PropertiesOut(BaseModel):
    """Every property path seen (of one type when asked), by type then path."""

    properties: list[PropertyOut]


class WarningOut(BaseModel):
    """Something in a journey that can match nothing in this data; it never blocks.

    ``kind``: unknown_type, unknown_property, unknown_value, outside_data, no_data or
    not_checked (a backend without the catalogue);
    ``field``: where in the definition (``stages[1].when.type``), null for the whole.
    """

    kind: str
    field: str | None
    message: str


@router.get(
    "/types",
    summary="Every activity type seen, with activities, contacts, first and last seen",
    response_model=TypesOut,
    dependencies=READ,
    responses=errors(401, 403),
)
def types(request: Request) -> Any:
    """The activity types of the log, most activities first."""
    return {"types": [t.to_dict() for t in app_headway(request).types()]}


@router.get(
    "/properties",
    summary="Every property path seen, with fill rate, JSON types and top values",
    response_model=PropertiesOut,
    dependencies=READ,
    responses=errors(401, 403, 422),
)
def properties(
    request: Request,
    type: Annotated[str | None, Query(description="Only this activity type's paths.")] = None,
    top: Annotated[int, Query(ge=0, le=200, description="Top values per path.")] = 10,
) -> Any:
    """Property paths per type; an unknown type has none."""
    found = app_headway(request).properties(type, top=top)
    return {"properties": [p.to_dict() for p in found]}


def with_warnings(
    request: Request, body: dict[str, Any], journey: Journey, opts: ReportOptions | None
) -> dict[str, Any]:
    """A report's JSON with the journey's warnings (as ``headway … --json`` prints it)."""
    found = app_headway(request).warnings(
        journey, as_of=opts.as_of if opts else None, date_range=opts.date_range if opts else None
    )
    return {**body, "warnings": [w.to_dict() for w in found]}
