"""``POST /api/v1/activities``: a batch of activities, validated per record, durable on 2xx.

The body is a JSON array of activity objects (``application/json``) or JSON Lines
(``application/x-ndjson`` / ``application/jsonl``), at most ``MAX_RECORDS`` records. Every
record is checked by the shared validation (``headway.ingest.records``); the valid ones are
appended through the store's single writer, which commits the batches of concurrent requests
together (group commit). The answer is sent only after that commit returned, so a 2xx means
the accepted records are on disk. Ids make retries safe: a re-sent batch counts as duplicates.

Answers: 200 ``{"accepted", "duplicates", "rejected": [{"index", "field", "reason"}]}`` when at
least one record was valid (the others are listed in ``rejected``); 422 when every record was
rejected, the body is not valid JSON (naming the line and column) or the batch is empty; 413
over ``MAX_RECORDS`` records; 415 for another content type. docs/api-activities.md.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from headway.api import Headway
from headway.errors import (
    Detail,
    InvalidInput,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from headway.ingest.records import validate_records
from headway.web.api._common import errors
from headway.web.app_state import app_headway
from headway.web.auth import require_scope

router = APIRouter(tags=["activities"])

MAX_RECORDS = 10_000
SOURCE = "api"
JSON_TYPES = frozenset({"application/json"})
LINES_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/json-lines"})


class RejectedRecord(BaseModel):
    """A record that was not stored: its position in the batch, the field and why."""

    index: int
    line: int | None = None
    field: str | None = None
    reason: str


class IngestAnswer(BaseModel):
    """What the batch did: records stored, ids already stored (or repeated), rejections."""

    accepted: int
    duplicates: int
    rejected: list[RejectedRecord]


@router.post(
    "/activities",
    summary="Send a batch of activities",
    response_model=IngestAnswer,
    dependencies=[Depends(require_scope("ingest"))],
    responses=errors(401, 403, 413, 415, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def post_activities(
    request: Request,
    tz: Annotated[
        str | None,
        Query(description="Time zone of timestamps written without an offset (IANA name)."),
    ] = None,
) -> Response:
    """Validate and store up to 10,000 activities; answered once they are on disk."""
    kind = media_type(request.headers.get("content-type"))
    body = await request.body()
    # Parsing, checking and waiting for the commit all leave the event loop free.
    answer = await run_in_threadpool(ingest, app_headway(request), body, kind, tz)
    return Response(orjson.dumps(answer), media_type="application/json")


def media_type(header: str | None) -> str:
    """``json`` or ``lines`` from a Content-Type header; 415 for anything else."""
    value = (header or "").split(";", 1)[0].strip().lower()
    if value in JSON_TYPES:
        return "json"
    if value in LINES_TYPES:
        return "lines"
    shown = repr(value) if value else "none"
    raise UnsupportedMediaType(
        f"activities are sent as application/json (an array) or application/x-ndjson "
        f"(JSON Lines); the Content-Type was {shown}",
        [Detail("use application/json or application/x-ndjson", field="Content-Type")],
    )


def ingest(hw: Headway, body: bytes, kind: str, tz: str | None) -> dict[str, Any]:
    """Parse, validate and append one batch; the answer's JSON object."""
    records, lines = parse_json(body) if kind == "json" else parse_lines(body)
    check_size(len(records))
    table, problems = validate_records(records, source=SOURCE, tz=tz)
    rejected = [rejected_record(d, lines) for d in problems]
    if table.num_rows == 0:
        raise InvalidInput(
            f"every activity of the batch was rejected ({len(problems)}); nothing was stored",
            [Detail(api_words(d), field=d.field, record=d.record) for d in problems],
        )
    result = hw.append_activity_table(table)
    return {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": rejected}


def parse_json(body: bytes) -> tuple[list[Any], None]:
    """The records of a JSON array body."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise InvalidInput(
            f"the body is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}",
            [Detail(f"{err.msg} at line {err.lineno}, column {err.colno}", field="body")],
        ) from None
    if not isinstance(value, list):
        raise InvalidInput(
            "the body must be a JSON array of activity objects (or JSON Lines, one per line)",
            [Detail("must be a JSON array", field="body")],
        )
    return value, None


def parse_lines(body: bytes) -> tuple[list[Any], list[int]]:
    """The records of a JSON Lines body and the line number of each (blank lines skipped)."""
    raw = body.split(b"\n")
    numbered = [(n, line) for n, line in enumerate(raw, start=1) if line.strip()]
    check_size(len(numbered))
    records = []
    for number, line in numbered:
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError as err:
            raise InvalidInput(
                f"line {number} is not valid JSON: {err.msg} at column {err.colno}; "
                "nothing was stored",
                [Detail(f"{err.msg} at column {err.colno}", field="body", record=f"line {number}")],
            ) from None
    return records, [n for n, _ in numbered]


def check_size(count: int) -> None:
    """413 beyond ``MAX_RECORDS`` records, 422 for an empty batch."""
    if count > MAX_RECORDS:
        raise PayloadTooLarge(
            f"a batch holds at most {MAX_RECORDS:,} activities; this one has {count:,} "
            "(split it into several requests)",
            [Detail(f"at most {MAX_RECORDS:,} records", field="body")],
        )
    if count == 0:
        raise InvalidInput(
            "the batch is empty: send at least one activity",
            [Detail("holds no activity", field="body")],
        )


def rejected_record(detail: Detail, lines: list[int] | None) -> dict[str, Any]:
    """One entry of ``rejected``: index in the batch (and line for JSON Lines), field, why."""
    index = int(detail.record) if isinstance(detail.record, int) else 0
    entry: dict[str, Any] = {"index": index, "field": detail.field, "reason": api_words(detail)}
    if lines is not None:
        entry["line"] = lines[index]
    return entry


def api_words(detail: Detail) -> str:
    """The reason worded for this API (the shared messages name the CLI's ``--tz``)."""
    return detail.reason.replace("pass --tz", "pass ?tz=")
