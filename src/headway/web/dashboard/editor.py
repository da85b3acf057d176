"""The journey editor: YAML text and the visual builder, live validation, a preview, saving.

Validation is the engine's own (``parse_journey``): the editor shows its messages as they
are (``stages[2].when.where.url: unknown operator 'contain' …``). The preview runs the
funnel on the unsaved draft; saving stores a new version (``save_journey``) and opens the
journey's page. A failed save shows the editor again with the messages and the text intact.

The visual builder (``static/builder.js``) edits the journey's canonical definition mapping
(``journey_to_dict``); ``/journeys/editor/model`` gives it the mapping of the YAML text and
``/journeys/editor/yaml`` writes its mapping back as YAML with the one canonical writer
(``model/journey_yaml.py``), so the two views always show the same journey.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from headway.api import Headway
from headway.errors import Detail, InvalidJourney
from headway.model.journey import Journey, journey_to_dict, parse_journey
from headway.model.journey_errors import sentence
from headway.model.journey_limits import check_structure
from headway.model.journey_yaml import definition_yaml, journey_yaml
from headway.web.auth import page_scope
from headway.web.csrf import verify_csrf
from headway.web.dashboard._formats import FMT, report_options
from headway.web.templating import render

router = APIRouter()

MAX_TEXT = 200_000  # characters: far beyond any real definition

# In the canonical form (journey_yaml), so the visual builder takes it up as it is.
STARTER = """\
name: My journey
order: ordered
window: 30d
stages:
  - name: Aware
    when: {type: page_visit}
  - name: Engaged
    when: {type: email_click}
  - name: Considering
    when: {type: page_visit, where: {url: {contains: /pricing}}}
  - name: Sales contact
    when: {type: form_submission, where: {form: contact-sales}}
"""


class Draft(BaseModel):
    """The editor's text, and the as-of instant for a preview."""

    text: str = Field(max_length=MAX_TEXT)
    as_of: str | None = None


class BuilderDraft(BaseModel):
    """The visual builder's definition mapping (the shape of ``journey_to_dict``)."""

    definition: dict[str, Any]


@dataclass(frozen=True)
class Checked:
    """A draft's validation: the journey when valid, else the engine's messages."""

    journey: Journey | None
    problems: list[dict[str, str | None]]

    def to_dict(self) -> dict[str, Any]:
        """JSON answer of the validate endpoint."""
        j = self.journey
        return {
            "valid": j is not None,
            "name": j.name if j else None,
            "stages": [s.name for s in j.stages] if j else [],
            "problems": self.problems,
        }


def check(text: str) -> Checked:
    """Validate a draft with the engine; every problem as ``{field, reason, message}``."""
    try:
        return Checked(parse_journey(text), [])
    except InvalidJourney as err:
        details = err.details or (Detail(err.message),)
        return Checked(None, [_problem(d) for d in details])


def _problem(detail: Detail) -> dict[str, str | None]:
    return {"field": detail.field, "reason": detail.reason, "message": sentence(detail)}


def _hw(request: Request) -> Headway:
    return request.app.state.headway  # type: ignore[no-any-return]


def journey_url(name: str) -> str:
    """The journey page of ``name`` (the name as one percent-encoded path segment)."""
    return "/journeys/" + quote(name, safe="")


def stored_text(hw: Headway, name: str) -> str:
    """The text of a stored journey's latest version (its canonical YAML if saved from data);
    one that no longer validates opens too, so it can be fixed."""
    definition, version = hw.stored_definition(name)
    text = hw.journey_source(name, version)
    if text:
        return text
    with contextlib.suppress(InvalidJourney):  # one with an error is shown as stored
        return journey_yaml(hw.stored_journey(name, version)[0])
    return definition_yaml(definition)


def editor_page(
    request: Request,
    text: str,
    original: str | None,
    problems: list[dict[str, str | None]] | None = None,
) -> HTMLResponse:
    """The editor page with ``text`` (a failed save keeps the user's text)."""
    context = {
        "nav": "journeys" if original else "editor",
        "text": text,
        "original": original or "",
        "problems": problems or [],
        "journey_url": journey_url(original) if original else None,
        "fmt": FMT,
    }
    return render(request, "editor.html", context)


@router.get("/journeys/new", response_class=HTMLResponse)
def new_journey(request: Request, _: object = Depends(page_scope("read"))) -> HTMLResponse:
    """The editor with a starter definition."""
    return editor_page(request, STARTER, None)


@router.get("/journeys/{name:path}/edit", response_class=HTMLResponse)
def edit_journey(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """The editor on a stored journey's latest version (with its problems, if it has any)."""
    text = stored_text(_hw(request), name)
    return editor_page(request, text, name, check(text).problems or None)


@router.post("/journeys/editor/validate", dependencies=[Depends(verify_csrf)])
def validate_draft(
    request: Request, draft: Draft, _: object = Depends(page_scope("read"))
) -> dict[str, Any]:
    """The engine's verdict on a draft: valid, or each problem with its field path; and
    the warnings of a valid draft over this data (docs/discovery.md)."""
    checked = check(draft.text)
    answer = checked.to_dict()
    found = _hw(request).warnings(checked.journey) if checked.journey is not None else []
    answer["warnings"] = [w.to_dict() for w in found]
    return answer


@router.post("/journeys/editor/model", dependencies=[Depends(verify_csrf)])
def draft_model(
    request: Request, draft: Draft, _: object = Depends(page_scope("read"))
) -> dict[str, Any]:
    """The builder's view of a draft: when valid, its canonical mapping and YAML text, and
    whether the text already is that YAML (if not, the builder rewrites it only when asked:
    comments and layout would be lost)."""
    checked = check(draft.text)
    answer = checked.to_dict()
    if checked.journey is not None:
        canonical = journey_yaml(checked.journey)
        answer["definition"] = journey_to_dict(checked.journey)
        answer["canonical"] = canonical
        answer["is_canonical"] = canonical == draft.text
    return answer


@router.post("/journeys/editor/yaml", dependencies=[Depends(verify_csrf)])
def draft_yaml(
    request: Request, draft: BuilderDraft, _: object = Depends(page_scope("read"))
) -> dict[str, Any]:
    """The builder's mapping as YAML: the canonical text when it is a valid journey, else the
    mapping as given in the same layout (with the problems), so the text always follows."""
    odd = True  # the mapping is written back only when it is within the limits and plain
    try:
        odd = check_structure(draft.definition)  # bounded before it is written or walked
        journey = parse_journey(draft.definition)
    except InvalidJourney as err:
        details = err.details or (Detail(err.message),)
        text = None if odd else definition_yaml(draft.definition)
        return {"valid": False, "text": text, "problems": [_problem(d) for d in details]}
    return {"valid": True, "text": journey_yaml(journey), "problems": []}


@router.post("/journeys/editor/preview", dependencies=[Depends(verify_csrf)])
def preview_draft(
    request: Request, draft: Draft, _: object = Depends(page_scope("read"))
) -> dict[str, Any]:
    """The draft's funnel at ``as_of``: contacts reaching each stage (nothing is saved)."""
    checked = check(draft.text)
    answer = checked.to_dict()
    if checked.journey is None:
        return answer
    report = _hw(request).funnel(checked.journey, as_of=report_options(draft.as_of).as_of)
    answer["as_of"] = report.to_dict()["as_of"]
    answer["entered"] = report.entered
    answer["preview"] = [
        {
            "index": s.index,
            "name": s.name,
            "reached": s.reached,
            "conversion_from_previous": s.conversion_from_previous,
        }
        for s in report.stages
    ]
    return answer


@router.post("/journeys/editor/save", dependencies=[Depends(verify_csrf)])
def save_draft(
    request: Request,
    text: str = Form(max_length=MAX_TEXT),
    original: str = Form(""),
    _: object = Depends(page_scope("admin")),
) -> Response:
    """Store the draft as the journey's next version and open its page; errors re-show it.

    A refused draft is answered 200 with the editor and its messages: the browser shows the
    page as a normal one (no failed-load error), with the user's text intact.
    """
    # A form sends a text area's line breaks as CRLF (HTML's form encoding); the text the
    # user saw, and the one stored, has LF (the canonical writer's text saves as it is).
    text = text.replace("\r\n", "\n")
    checked = check(text)
    if checked.journey is None:
        return editor_page(request, text, original, checked.problems)
    clash = _name_clash(_hw(request), checked.journey.name, original)
    if clash is not None:
        return editor_page(request, text, original, [_problem(clash)])
    _hw(request).save_journey(checked.journey, text)
    return RedirectResponse(journey_url(checked.journey.name), status_code=303)


def _name_clash(hw: Headway, name: str, original: str) -> Detail | None:
    """A new journey (or a rename) must not silently become a version of another journey."""
    if name == original:
        return None
    if name in {j.name for j in hw.journeys()}:
        return Detail(
            f"a journey named {name!r} already exists; open it and choose Edit to change it,"
            " or give this one another name",
            field="name",
        )
    return None
