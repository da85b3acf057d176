"""The receiver example of docs/actions.md, loaded from the document itself (so the test that
uses it checks what readers copy)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "actions.md"
_BLOCK = re.compile(r"<!-- receiver example -->\n```python\n(.*?)```", re.S)


def _load() -> Callable[[str, dict[str, str], bytes], Any]:
    match = _BLOCK.search(DOC.read_text(encoding="utf-8"))
    assert match, "docs/actions.md lost its receiver example"
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), str(DOC), "exec"), namespace)
    fn: Callable[[str, dict[str, str], bytes], Any] = namespace["verify_delivery"]
    return fn


verify_delivery = _load()
