"""docs/sdks.md promises behaviour: every SDK route is listed, and its configuration lines work."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from headway.store import Store
from headway.store.api_keys import create_key
from headway.web.sdk import posthog, segment
from tests.web.conftest import start_server

DOC = (Path(__file__).parents[2] / "docs" / "sdks.md").read_text()
KEY = "hw_3f9c…"
HOST = "https://headway.example.com"


def python_blocks() -> list[str]:
    """The ```python blocks of the page, in order."""
    return re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


def test_every_sdk_route_is_documented() -> None:
    routes = [*segment.router.routes, *posthog.router.routes]
    paths = {r.path for r in routes if getattr(r, "include_in_schema", False)}  # type: ignore[attr-defined]
    assert len(paths) == 13
    for path in paths:
        assert f"`{path}`" in DOC or f"`POST {path}`" in DOC or f", `{path}`" in DOC, path


def test_each_library_is_configured_in_two_lines() -> None:
    blocks = python_blocks()
    assert len(blocks) == 3
    for block in blocks:
        settings = [
            line for line in block.splitlines() if line and not line.startswith(("import", "from"))
        ]
        assert len(settings) <= 2, block
        assert KEY in block and HOST in block


@pytest.mark.slow
def test_the_documented_configuration_sends_to_headway(tmp_path: Path) -> None:
    """Each block, run with a real key and server, delivers an event (then the library's
    own calls: track / capture, flush)."""
    db_path, config = tmp_path / "docs.duckdb", tmp_path / "headway.toml"
    config.write_text("[tracking]\nenabled = false\n")
    with Store(db_path) as store:
        _, key = create_key(store, ["ingest"])
    server = start_server(db_path, config)
    sends = [
        "analytics.track(user_id='doc', event='Doc Segment'); analytics.shutdown()",
        "rudder_analytics.track('doc', 'Doc Rudder'); rudder_analytics.shutdown()",
        "posthog.capture('Doc PostHog', distinct_id='doc'); posthog.shutdown()",
    ]
    try:
        for block, send in zip(python_blocks(), sends, strict=True):
            scope: dict[str, Any] = {}
            exec(block.replace(KEY, key).replace(HOST, server.url) + send, scope)
    finally:
        server.stop()
    with Store(db_path, read_only=True) as store:
        rows = store.execute(
            """SELECT t.name, a.source FROM activities a
            JOIN activity_types t ON t.code = a.type_code ORDER BY t.name"""
        ).rows
    assert rows == [
        ("Doc PostHog", "posthog"),
        ("Doc Rudder", "rudderstack"),
        ("Doc Segment", "segment"),
    ]
