"""End to end: ``headway serve`` as a real subprocess; ingest over HTTP, read the funnel back.

Journey "Signup" (ordered): Visit (page_visit) → Form (form_submission) → Buy (purchase).
Counted by hand, as of 2025-06-30:

- ann: visit, form, purchase → reaches Buy (converted)
- bob: visit, form → reaches Form
- cat: visit → reaches Visit
- dan: a form only → never enters (the first stage is a visit)
- every batch is sent twice (a client retrying): ids make the second sending all duplicates.

So entered 3, reached 3 / 2 / 1, converted 1.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from tests.web.conftest import NEW_KEY, SIGNUP, config_text, start_server

ARRAY = [
    {"id": "1", "contact": "ann", "type": "page_visit", "ts": "2025-06-01T09:00:00Z", "url": "/"},
    {"id": "2", "contact": "ann", "type": "form_submission", "ts": "2025-06-01T10:00:00Z"},
    {"id": "3", "contact": "ann", "type": "purchase", "ts": "2025-06-02T09:00:00+02:00"},
    {"id": "4", "contact": "bob", "type": "page_visit", "ts": "2025-06-03T09:00:00Z"},
]
LINES = [
    {"id": "5", "contact": "bob", "type": "form_submission", "ts": 1748941200},  # 06-03 09:00
    {"id": "6", "contact": "cat", "type": "page_visit", "ts": "2025-06-04T09:00:00Z"},
    {"id": "7", "contact": "dan", "type": "form_submission", "ts": "2025-06-04T09:00:00Z"},
    {"id": "8", "contact": "eve", "type": "page\tvisit", "ts": "2025-06-04T09:00:00Z"},  # rejected
]


@pytest.mark.slow
def test_ingest_over_http_then_read_the_funnel(tmp_path: Path) -> None:
    config = tmp_path / "headway.toml"
    config.write_text(config_text(NEW_KEY))
    server = start_server(tmp_path / "e2e.duckdb", config)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            saved = http.post(
                "/api/v1/journeys", content=SIGNUP, headers={"Content-Type": "application/yaml"}
            )
            assert saved.status_code == 201, saved.text
            assert send_batches(http) == [(4, 0), (3, 0)]
            assert send_batches(http) == [(0, 4), (0, 3)]  # a retry: all duplicates
            funnel = http.get("/api/v1/journeys/Signup/funnel", params={"as_of": "2025-06-30"})
            assert funnel.status_code == 200, funnel.text
            report = funnel.json()
    finally:
        server.stop()
    assert (report["entered"], report["converted"]) == (3, 1)
    assert [s["reached"] for s in report["stages"]] == [3, 2, 1]


def send_batches(http: httpx.Client) -> list[tuple[int, int]]:
    """Post the JSON batch and the JSON Lines batch; (accepted, duplicates) of each."""
    first = http.post("/api/v1/activities", json=ARRAY)
    assert first.status_code == 200, first.text
    lines = b"\n".join(orjson.dumps(r) for r in LINES)
    second = http.post(
        "/api/v1/activities", content=lines, headers={"Content-Type": "application/x-ndjson"}
    )
    answer = second.json()
    assert answer["rejected"] == [
        {
            "index": 3,
            "line": 4,
            "field": "type",
            "reason": "contains a control character (U+0009) at position 5",
        }
    ]
    return [(a["accepted"], a["duplicates"]) for a in (first.json(), answer)]
