"""The bot labeller: which email opens and clicks were made by machines (docs/bots.md).

``classify`` is pure: it takes a batch of email activities (with, per contact and email, the
deliveries and every click the burst and honeypot rules need), a ``BotContext`` and
``BotSettings``, and returns ``bot`` and ``bot_reason`` per activity in input order. Only
``email_open`` and ``email_click`` are ever labelled; every other activity stays human.

One reason per activity, the first that holds in ``REASONS`` order (most certain evidence
first). The rules and their defaults are documented in docs/bots.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from headway.ingest.bot_settings import BotSettings
from headway.ingest.bot_signals import agent_flags, in_networks

REASONS = (
    "head_request",
    "provider_flag",
    "honeypot",
    "mpp",
    "gmail_prefetch",
    "scanner_network",
    "user_agent",
    "burst",
    "fast_after_delivery",
)
# The flat columns ``classify`` reads (``flatten`` makes them from canonical activities).
COLUMNS = (
    "contact",
    "type",
    "ts",
    "email",
    "link",
    "user_agent",
    "ip",
    "method",
    "honeypot",
    "provider_flag",
)
_US = 1_000_000


@dataclass(frozen=True)
class BotContext:
    """What the labeller knows beyond the activities: the registered honeypot links."""

    honeypot_links: frozenset[tuple[str, str]] = frozenset()  # (email id, link id or URL)


def classify(
    activities: pa.Table | Sequence[Mapping[str, Any]],
    context: BotContext | None = None,
    settings: BotSettings | None = None,
) -> tuple[np.ndarray, list[str | None]]:
    """Label a batch: ``bot`` per activity and its one ``bot_reason`` (None when human)."""
    settings = settings or BotSettings()
    batch = _as_batch(activities, settings)
    n = batch.num_rows
    if n == 0:
        return np.zeros(0, bool), []
    rules = _Rules(batch, context or BotContext(), settings)
    code = rules.reason_codes()
    names = np.array([None, *REASONS], dtype=object)
    return code > 0, names[code].tolist()


def flatten(records: Sequence[Mapping[str, Any]], settings: BotSettings | None = None) -> pa.Table:
    """The flat columns ``classify`` reads, from canonical activity records."""
    settings = settings or BotSettings()
    rows = []
    for r in records:
        props = r.get("properties") or {}
        if isinstance(props, str | bytes):
            props = orjson.loads(props)
        link = props.get("link") or props.get("url")
        flagged = bool(r.get("bot")) and r.get("bot_reason") in (None, "provider_flag")
        flagged |= any(_truthy(props.get(p)) for p in settings.provider_flag_properties)
        rows.append(
            {
                "contact": str(r["contact"]),
                "type": r["type"],
                "ts": r["ts"],
                "email": _text(props.get("email")),
                "link": _text(link),
                "user_agent": _text(props.get("user_agent")),
                "ip": _text(props.get("ip")),
                "method": _text(props.get("method")),
                "honeypot": _truthy(props.get("honeypot")),
                "provider_flag": flagged,
            }
        )
    return pa.Table.from_pylist(rows, schema=_FLAT_SCHEMA)


_FLAT_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ("contact", "type")]
    + [("ts", pa.timestamp("us"))]
    + [(c, pa.string()) for c in ("email", "link", "user_agent", "ip", "method")]
    + [("honeypot", pa.bool_()), ("provider_flag", pa.bool_())]
)


def _as_batch(
    activities: pa.Table | Sequence[Mapping[str, Any]], settings: BotSettings
) -> pa.Table:
    if not isinstance(activities, pa.Table):
        records = list(activities)
        if records and "properties" in records[0]:
            return flatten(records, settings)
        return pa.Table.from_pylist(records, schema=_FLAT_SCHEMA)
    if "properties" in activities.column_names:
        return flatten(activities.to_pylist(), settings)
    return activities


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true") or value == 1


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class _Rules:
    """The rules over one batch, sorted by (contact, email, time); results in input order."""

    def __init__(self, batch: pa.Table, context: BotContext, settings: BotSettings) -> None:
        self.s = settings
        self.context = context
        contact = _codes(batch.column("contact"))
        email = _codes(batch.column("email"))
        types = batch.column("type").to_numpy(zero_copy_only=False)
        ts = pc.cast(batch.column("ts"), pa.timestamp("us")).cast(pa.int64())
        ts_np = ts.to_numpy(zero_copy_only=False)
        is_delivery = np.isin(types, ["email_delivered", "email_sent"])
        # deliveries sort before engagement at the same instant
        self.order = np.lexsort((~is_delivery, ts_np, email, contact))
        self.batch = batch.take(pa.array(self.order))
        self.group = (contact * (email.max() + 2) + email)[self.order]
        self.types = types[self.order]
        self.ts = ts_np[self.order]
        self.opens = self.types == "email_open"
        self.clicks = self.types == "email_click"
        self.since = self._since_delivery()

    def reason_codes(self) -> np.ndarray:
        """Per input row: 0 (human) or 1 + the index of its first reason in REASONS."""
        code = np.zeros(len(self.ts), np.int8)
        for i, mask in reversed(list(enumerate(self._masks(), start=1))):
            code[mask & (self.opens | self.clicks)] = i
        self._scanner_opens(code)
        out = np.empty_like(code)
        out[self.order] = code
        return out

    def _scanner_opens(self, code: np.ndarray) -> None:
        """An open right next to a machine's click is that machine fetching the images: it
        takes the click's reason (scanners fetch the pixel while following the links)."""
        rows = np.flatnonzero(self.opens | self.clicks)
        bot_click = self.clicks[rows] & (code[rows] > 0)
        human_open = self.opens[rows] & (code[rows] == 0)
        width = self.s.scanner_open_seconds * _US
        for i, j in _pairs(self.group[rows], self.ts[rows], width):
            for a, b in ((i, j), (j, i)):
                take = human_open[a] & bot_click[b]
                code[rows[a[take]]] = code[rows[b[take]]]

    def _masks(self) -> Iterator[np.ndarray]:
        s, col = self.s, self.batch.column
        engaged = self.opens | self.clicks
        method = pc.fill_null(pc.utf8_upper(col("method")), "").to_numpy(zero_copy_only=False)
        generic, gmail, automated = agent_flags(
            col("user_agent"), frozenset(s.automation_ua_families), s.scanner_user_agents
        )
        apple = in_networks(col("ip"), s.mpp_networks)
        soon = ~np.isnan(self.since)
        yield method == "HEAD"
        yield _bools(col("provider_flag"))
        yield self._honeypot()
        mpp_window = soon & (self.since <= s.mpp_open_seconds)
        yield self.opens & (apple | (generic & mpp_window))
        yield self.opens & gmail & soon & (self.since <= s.gmail_prefetch_seconds)
        yield engaged & in_networks(col("ip"), s.scanner_networks)
        yield engaged & (automated | generic)
        yield self._burst()
        yield self.clicks & soon & (self.since <= s.fast_after_delivery_seconds)

    def _since_delivery(self) -> np.ndarray:
        """Seconds since the latest delivery (else send) of that email to that contact."""
        delivered = self._latest(self.types == "email_delivered")
        sent = self._latest(self.types == "email_sent")
        at = np.where(delivered >= 0, delivered, sent)
        out = np.full(len(self.ts), np.nan)
        known = at >= 0
        out[known] = (self.ts[known] - self.ts[at[known]]) / _US
        return out

    def _latest(self, marks: np.ndarray) -> np.ndarray:
        # forward fill of the last marked row's index, not crossing into another group
        idx = np.maximum.accumulate(np.where(marks, np.arange(len(marks)), -1))
        same = idx >= 0
        same[same] = self.group[idx[same]] == self.group[same]
        return np.where(same, idx, -1)

    def _click_frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.flatnonzero(self.clicks)
        return rows, self.group[rows], self.ts[rows]

    def _honeypot(self) -> np.ndarray:
        """Honeypot hits and the same recipient's clicks on that email within ± the window."""
        col = self.batch.column
        hit = _bools(col("honeypot")) & self.clicks
        if self.context.honeypot_links:
            keys = pc.binary_join_element_wise(
                pc.fill_null(col("email"), ""), pc.fill_null(col("link"), ""), "\x1f"
            ).to_numpy(zero_copy_only=False)
            known = ["\x1f".join(k) for k in self.context.honeypot_links]
            hit |= self.clicks & np.isin(keys, known)
        rows, group, ts = self._click_frame()
        near = hit[rows].copy()
        for i, j in _pairs(group, ts, self.s.honeypot_window_seconds * _US):
            near[j] |= hit[rows[i]]
            near[i] |= hit[rows[j]]
        out = np.zeros(len(self.ts), bool)
        out[rows] = near
        return out

    def _burst(self) -> np.ndarray:
        """Clicks of one recipient on >= burst_links distinct links within burst_seconds."""
        rows, group, ts = self._click_frame()
        link = _codes(self.batch.column("link").take(pa.array(rows)))
        prev = _previous_same(group, link)
        width = self.s.burst_seconds * _US
        distinct = np.ones(len(rows), np.int64)
        for i, j in _pairs(group, ts, width):
            distinct[i] += prev[j] < i  # the link at j is new within the window starting at i
        start = distinct >= self.s.burst_links
        marked = start.copy()
        for i, j in _pairs(group, ts, width):
            marked[j] |= start[i]
        out = np.zeros(len(self.ts), bool)
        out[rows] = marked
        return out


def _pairs(
    group: np.ndarray, ts: np.ndarray, width: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(i, i + d) for d = 1, 2, …: rows of one group at most ``width`` apart (sorted input)."""
    active = np.arange(len(ts))
    d = 1
    while len(active):
        active = active[active + d < len(ts)]
        j = active + d
        keep = (group[j] == group[active]) & (ts[j] - ts[active] <= width)
        active, j = active[keep], j[keep]
        if len(active):
            yield active, j
        d += 1


def _previous_same(group: np.ndarray, link: np.ndarray) -> np.ndarray:
    """Index of the previous row with the same (group, link), or -1."""
    n = len(group)
    order = np.lexsort((np.arange(n), link, group))
    prev = np.full(n, -1, np.int64)
    same = (group[order][1:] == group[order][:-1]) & (link[order][1:] == link[order][:-1])
    prev[order[1:][same]] = order[:-1][same]
    return prev


def _codes(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Dense integer codes of a column's values (null: -1)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column)
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _bools(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.fill_null(column, False).to_numpy(zero_copy_only=False).astype(bool)
