"""Read what a Plotly chart in the page actually drew: its traces, axes and tick labels.

Charts on the dashboard are Plotly figures that ``headway.js`` draws into a ``div``; once
drawn, the div carries the figure Plotly used (``div.data``, ``div._fullLayout``) and the
SVG text it rendered. These helpers read them back so a test can compare the numbers on
screen with the REST API's answer for the same view (issue #12: every chart gets such a test).

    box = "#funnel-chart"
    wait_drawn(page, box)
    drawn = traces(page, box)                 # [{"name", "type", "x", "y", ...}, ...]
    assert trace(drawn, "Reached")["x"] == [s["reached"] for s in api["stages"]]
    assert all(is_whole(t) for t in tick_labels(page, box, "x"))
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page

_TRACES = """box => {
  const gd = document.querySelector(box);
  if (!gd || !gd.data) return null;
  return gd.data.map(t => ({
    name: t.name ?? null, type: t.type ?? "scatter", orientation: t.orientation ?? null,
    x: t.x ? Array.from(t.x) : null, y: t.y ? Array.from(t.y) : null,
    base: t.base === undefined ? null : t.base,
    text: t.text === undefined ? null : t.text,
    customdata: t.customdata ? Array.from(t.customdata) : null,
    visible: t.visible ?? true, yaxis: t.yaxis ?? "y", xaxis: t.xaxis ?? "x",
    labels: t.labels ? Array.from(t.labels) : null, values: t.values ? Array.from(t.values) : null,
    node: t.node ?? null, link: t.link ?? null,
  }));
}"""

_AXIS = """([box, axis]) => {
  const gd = document.querySelector(box);
  const a = gd && gd._fullLayout && gd._fullLayout[axis];
  if (!a) return null;
  return {range: Array.from(a.range), type: a.type, visible: a.visible,
          tickvals: (a._vals || []).map(v => v.x), ticktext: (a._vals || []).map(v => v.text)};
}"""

_TICKS = """([box, axis]) => {
  const gd = document.querySelector(box);
  if (!gd) return null;
  const cls = "." + axis + "tick text";
  return Array.from(gd.querySelectorAll(cls)).map(t => t.textContent);
}"""


def wait_drawn(page: Page, box: str, timeout: float = 15_000) -> None:
    """Wait until Plotly has drawn the chart in ``box`` (a CSS selector of the chart div)."""
    page.wait_for_function(
        "box => { const gd = document.querySelector(box);"
        " return !!(gd && gd._fullLayout && gd.querySelector('.main-svg')); }",
        arg=box,
        timeout=timeout,
    )


def traces(page: Page, box: str) -> list[dict[str, Any]]:
    """The traces Plotly drew in ``box``: name, type, x, y, text, customdata, ... per trace."""
    drawn = page.evaluate(_TRACES, box)
    assert drawn is not None, f"no Plotly chart drawn in {box}"
    return list(drawn)


def trace(drawn: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The one trace called ``name`` (fails listing the names there are)."""
    found = [t for t in drawn if t["name"] == name]
    assert len(found) == 1, f"trace {name!r}: found {len(found)} in {[t['name'] for t in drawn]}"
    return found[0]


def axis(page: Page, box: str, name: str = "xaxis") -> dict[str, Any]:
    """An axis as Plotly laid it out: range, type, visible, tick values and tick texts."""
    drawn = page.evaluate(_AXIS, [box, name])
    assert drawn is not None, f"no {name} in the chart {box}"
    return dict(drawn)


def tick_labels(page: Page, box: str, axis_letter: str = "x") -> list[str]:
    """The tick labels drawn in the SVG for the axis ``x``, ``y``, ``y2``, ... of ``box``."""
    labels = page.evaluate(_TICKS, [box, axis_letter])
    assert labels is not None, f"no chart {box}"
    return [str(t) for t in labels]


_NUMBER = re.compile(r"^[−-]?[\d,\u202f ]+(\.\d+)?[kM]?%?$")


def is_whole(label: str) -> bool:
    """True when a tick label is a whole count (``0``, ``1,500``, ``2k``), not ``0.5``."""
    text = label.strip()
    if not _NUMBER.match(text):
        return False
    if text.endswith(("k", "M")):
        return True
    return "." not in text


def number(label: str) -> float:
    """A drawn label as a number (``1,500`` → 1500.0, ``−1`` → -1.0, ``12%`` → 12.0)."""
    return float(label.replace("−", "-").replace(",", "").replace("%", "").strip())
