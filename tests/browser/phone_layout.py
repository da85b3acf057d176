"""Layout checks for a phone-width page, from element bounding boxes in the real browser.

Issue #12's acceptance: on a phone (390×844) no page section needs horizontal scrolling and
no text overlaps. ``layout_problems(page)`` measures the rendered page and lists, in words,

- every element wider than the viewport or sticking out past its right edge, and every
  scroll container (``overflow-x: auto|scroll``) whose content is wider than itself;
- every pair of text boxes that overlap: each line of every visible text node (via
  ``Range.getClientRects``) and every text drawn in a chart's SVG (tick labels, bar labels,
  legends), so a chart's legend over its axis counts as much as two paragraphs on each other.

    page.goto(url); wait_drawn(page, "#funnel-chart")
    assert_phone_layout(page)        # fails listing each problem with its element and text
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

_MEASURE = r"""([root, tolerance]) => {
  const vw = document.documentElement.clientWidth;
  const problems = [];
  const describe = el => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      let p = e.tagName.toLowerCase();
      if (e.id) { p += "#" + e.id; parts.unshift(p); break; }
      if (e.classList.length) p += "." + Array.from(e.classList).slice(0, 2).join(".");
      parts.unshift(p);
    }
    return parts.join(" > ");
  };
  const visible = el => {
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none" || parseFloat(s.opacity || "1") === 0) return false;
    for (let d = el.closest("details:not([open])"); d; d = d.parentElement.closest("details:not([open])")) {
      const own = d.querySelector(":scope > summary");  // a folded <details> shows only its summary
      if (!own || !own.contains(el)) return false;
    }
    return !clipped(el);
  };
  const clipCache = new Map();
  const clipped = el => {  // inside a visually-hidden (clip / clip-path) box
    if (!el || el.nodeType !== 1) return false;
    if (clipCache.has(el)) return clipCache.get(el);
    const s = getComputedStyle(el);
    const own = (s.clip && s.clip !== "auto") || (s.clipPath && s.clipPath !== "none" && !el.closest("svg"));
    const answer = own || clipped(el.parentElement);
    clipCache.set(el, answer);
    return answer;
  };
  const scope = document.querySelector(root) || document.body;
  if (document.documentElement.scrollWidth > vw + tolerance)
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px wide on a ${vw}px screen`);
  for (const el of scope.querySelectorAll("*")) {
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0 || !visible(el)) continue;  // off-screen on purpose
    if (r.right > vw + tolerance || r.left < -tolerance) {
      // an element inside a clipping ancestor that fits is not seen sticking out
      let clipped = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const ov = getComputedStyle(a).overflowX;
        if (ov !== "visible") { const ar = a.getBoundingClientRect();
          if (ar.right <= vw + tolerance && ar.left >= -tolerance) { clipped = true; break; } }
      }
      if (!clipped) problems.push(`${describe(el)} sticks out of the screen (${Math.round(r.left)}..${Math.round(r.right)} px of ${vw})`);
    }
    const ov = getComputedStyle(el).overflowX;
    if ((ov === "auto" || ov === "scroll") && el.scrollWidth > el.clientWidth + tolerance)
      problems.push(`${describe(el)} needs horizontal scrolling (${el.scrollWidth}px of content in ${el.clientWidth}px)`);
  }
  // text boxes: each line of each visible text node, and each SVG text (charts)
  const boxes = [];
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.nodeValue.trim()) continue;
    const el = n.parentElement;
    if (!el || el.closest("svg, script, style, template, option, datalist, .sr-only")) continue;
    if (!visible(el)) continue;
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      boxes.push({r, el, text: n.nodeValue.trim().slice(0, 40), node: n});
    }
  }
  for (const t of scope.querySelectorAll("svg text")) {
    if (!t.textContent.trim() || !visible(t)) continue;
    const r = t.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    boxes.push({r, el: t, text: t.textContent.trim().slice(0, 40), node: t});
  }
  boxes.sort((a, b) => a.r.top - b.r.top);
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length && boxes[j].r.top < a.r.bottom - tolerance; j++) {
      const b = boxes[j];
      if (a.node === b.node) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w > tolerance && h > tolerance)
        problems.push(`text overlaps: "${a.text}" (${describe(a.el)}) and "${b.text}" (${describe(b.el)})`);
    }
  }
  return problems;
}"""


def layout_problems(page: Page, root: str = "body", tolerance: float = 2.0) -> list[str]:
    """Everything on the page that sticks out, scrolls sideways or overlaps other text."""
    problems: Any = page.evaluate(_MEASURE, [root, tolerance])
    return [str(p) for p in problems]


def assert_phone_layout(page: Page, root: str = "body") -> None:
    """Fail with every layout problem of the page as it is rendered now."""
    problems = layout_problems(page, root)
    shown = "\n  ".join(problems[:25])
    more = f"\n  … and {len(problems) - 25} more" if len(problems) > 25 else ""
    assert not problems, f"{page.url}: {len(problems)} layout problems:\n  {shown}{more}"


def page_height(page: Page) -> int:
    """The rendered page's full height in CSS pixels."""
    return int(page.evaluate("document.documentElement.scrollHeight"))
