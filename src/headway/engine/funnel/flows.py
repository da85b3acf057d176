"""The flow between two stages: what contacts did after reaching stage k (a Sankey's data).

For every contact that reached stage k, its activities strictly after the one that reached k
and before the one that reached k+1 (for those who moved on), or up to the end of its window,
its exit or ``as_of`` (for those who dropped or are still in progress). The first ``steps`` of
each contact's sequence, each named by its type and its most telling property (``email``,
``form``, the path of ``url``...), become nodes per step; labels past the ``top`` most common
of a step fold into "Other". Each contact's path ends at its outcome ("Reached <k+1>",
"Dropped", "In progress"). Every count is a number of contacts, exact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
from sqlglot import exp

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.engine.diagnostics.drivers import SEND_TYPES
from headway.engine.email.delivery import human as human_only
from headway.engine.funnel.outcomes import DROPPED, outcomes
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import Matched
from headway.engine.results import Tabular, jsonable
from headway.engine.support import TYPES, arrow_typed
from headway.errors import InvalidInput

# Properties that name an activity best, in order of preference (the first present wins).
LABEL_KEYS = ("email", "form", "url", "page", "path", "name", "event")
OTHER = "Other"
DEFAULT_STEPS = 4
DEFAULT_TOP = 6
_INTERVALS = "hw_flow_intervals"


@dataclass(frozen=True)
class FlowNode:
    """One box of the Sankey: a label at a step (0: the start, then 1..steps, then outcomes)."""

    step: int
    label: str
    contacts: int


@dataclass(frozen=True)
class FlowLink:
    """Contacts going from one node to the next (indices into ``FlowReport.nodes``)."""

    source: int
    target: int
    contacts: int


@dataclass(frozen=True)
class FlowReport(Tabular):
    """The flow of contacts from a stage to the next, as Sankey nodes and links."""

    journey: str
    stage: int  # 1-based
    stage_name: str
    next_stage: str
    as_of: datetime
    steps: int
    contacts: int  # reached the stage
    moved_on: int
    dropped: int
    in_progress: int
    nodes: tuple[FlowNode, ...]
    links: tuple[FlowLink, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per link: from (step, label) to (step, label), contacts."""
        return [
            {
                "from_step": self.nodes[link.source].step,
                "from": self.nodes[link.source].label,
                "to_step": self.nodes[link.target].step,
                "to": self.nodes[link.target].label,
                "contacts": link.contacts,
            }
            for link in self.links
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return jsonable(
            {
                "journey": self.journey,
                "stage": self.stage,
                "stage_name": self.stage_name,
                "next_stage": self.next_stage,
                "as_of": self.as_of,
                "steps": self.steps,
                "contacts": self.contacts,
                "moved_on": self.moved_on,
                "dropped": self.dropped,
                "in_progress": self.in_progress,
                "nodes": [
                    {"step": n.step, "label": n.label, "contacts": n.contacts} for n in self.nodes
                ],
                "links": [
                    {"source": lk.source, "target": lk.target, "contacts": lk.contacts}
                    for lk in self.links
                ],
            }
        )


def flow_report(
    backend: Backend,
    matched: Matched,
    stage: int,
    *,
    steps: int = DEFAULT_STEPS,
    top: int = DEFAULT_TOP,
    human: bool = True,
    sends: bool = False,
) -> FlowReport:
    """The flow from ``stage`` (0-based) to the next one; ``human`` leaves bot activity out,
    and sends and deliveries of emails (done to a contact, not by it) are left out unless
    ``sends``."""
    journey = matched.journey
    names = [s.name for s in journey.stages]
    if stage >= len(names) - 1:
        raise InvalidInput(
            f"--stage: the flow goes from a stage to the next; '{names[stage]}' is the last stage"
        )
    if not 1 <= steps <= 20:
        raise InvalidInput(f"--steps: {steps} is not between 1 and 20")
    if not 1 <= top <= 50:
        raise InvalidInput(f"--top: {top} is not between 1 and 50")
    res, outs = matched.result, outcomes(matched)
    at = np.flatnonzero(res.reached >= stage + 1)
    moved = res.reached[at] >= stage + 2
    start = res.stage_ts[at, stage]
    window_end = np.minimum(res.stage_ts[at, 0] + matched.window_us, matched.as_of_us)
    exit_ts = res.exit_ts[at]
    ended = np.where((exit_ts != NOT_REACHED) & (exit_ts < window_end), exit_ts, window_end)
    end = np.where(moved, res.stage_ts[at, np.minimum(stage + 1, len(names) - 1)], ended)
    status = outs.status[at]
    outcome = np.where(moved, 0, np.where(status == DROPPED, 1, 2))
    ends = (f"Reached {names[stage + 1]}", "Dropped", "In progress")

    sequences = _sequences(backend, matched, at, start, end, moved, steps, human, sends)
    paths = [sequences.get(int(key), []) for key in res.contact[at]]
    nodes, links = _graph(paths, [ends[o] for o in outcome], names[stage], steps, top)
    return FlowReport(
        journey=journey.name,
        stage=stage + 1,
        stage_name=names[stage],
        next_stage=names[stage + 1],
        as_of=matched.options.as_of,
        steps=steps,
        contacts=len(at),
        moved_on=int(moved.sum()),
        dropped=int((outcome == 1).sum()),
        in_progress=int((outcome == 2).sum()),
        nodes=nodes,
        links=links,
    )


def _sequences(
    backend: Backend,
    matched: Matched,
    at: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    moved: np.ndarray,
    steps: int,
    human: bool,
    sends: bool,
) -> dict[int, list[str]]:
    """Each contact's first ``steps`` activity labels inside its interval, in time order."""
    if len(at) == 0:
        return {}
    intervals = pa.table(
        {
            "contact_key": pa.array(matched.result.contact[at], pa.int64()),
            "t0": pa.array(start.astype("datetime64[us]"), pa.timestamp("us")),
            "t1": pa.array(end.astype("datetime64[us]"), pa.timestamp("us")),
            "moved": pa.array(moved, pa.bool_()),
        }
    )
    a, i = "a", "i"
    ts = exp.column("ts", a)
    inside = exp.and_(
        exp.GT(this=ts.copy(), expression=exp.column("t0", i)),
        exp.or_(
            exp.LT(this=ts.copy(), expression=exp.column("t1", i)),
            exp.and_(
                exp.not_(exp.column("moved", i)),
                exp.LTE(this=ts.copy(), expression=exp.column("t1", i)),
            ),
        ),
    )
    props = exp.column("properties", a)
    labels = [backend.sql.json_text(props, (key,)).as_(f"l_{key}") for key in LABEL_KEYS]
    order = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column("contact_key", a)],
        order=exp.Order(
            expressions=[exp.Ordered(this=ts.copy()), exp.Ordered(this=exp.column("id", a))]
        ),
    )
    inner = (
        exp.select(
            exp.column("contact_key", a).as_("contact_key"),
            ts.copy().as_("ts"),
            exp.column("id", a).as_("id"),
            exp.column("name", "t").as_("type"),
            *labels,
            order.as_("n"),
        )
        .from_(exp.table_("activity_log", alias=a))
        .join(
            exp.table_(_INTERVALS, alias=i),
            on=exp.and_(
                exp.EQ(this=exp.column("contact_key", a), expression=exp.column("contact_key", i)),
                inside,
            ),
        )
        .join(
            exp.table_(TYPES, alias="t"),
            on=exp.EQ(this=exp.column("code", "t"), expression=exp.column("type_code", a)),
        )
    )
    codes = backend.type_codes()
    left_out = sorted(codes[t] for t in SEND_TYPES if t in codes and not sends)
    if left_out:
        type_code = exp.column("type_code", a)
        inner = inner.where(exp.not_(type_code.isin(*[exp.Literal.number(c) for c in left_out])))
    if human:
        inner = inner.where(human_only(a))
    outer = (
        exp.select("*")
        .from_(inner.subquery("s"))
        .where(exp.LTE(this=exp.column("n"), expression=exp.Literal.number(steps)))
        .order_by("contact_key", "n")
    )
    table = arrow_typed(backend, Query(outer), {_INTERVALS: intervals})
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    out: dict[int, list[str]] = {}
    for row, key in enumerate(cols["contact_key"]):
        value = next((cols[f"l_{k}"][row] for k in LABEL_KEYS if cols[f"l_{k}"][row]), None)
        out.setdefault(int(key), []).append(_label(cols["type"][row], value))
    return out


def _label(type_name: str, value: str | None) -> str:
    """``type · value``; a URL shows as its path."""
    if value is None:
        return type_name
    if value.startswith(("http://", "https://")):
        value = urlsplit(value).path or "/"
    return f"{type_name} · {value[:60]}"


def _graph(
    paths: list[list[str]], ends: list[str], start: str, steps: int, top: int
) -> tuple[tuple[FlowNode, ...], tuple[FlowLink, ...]]:
    """Nodes per step (top labels, the rest as Other) and the contact counts between them."""
    kept: list[set[str]] = []
    for s in range(steps):
        counts = Counter(p[s] for p in paths if len(p) > s)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept.append({label for label, _ in ranked[:top]})
    index: dict[tuple[int, str], int] = {}
    sizes: Counter[int] = Counter()
    flows: Counter[tuple[int, int]] = Counter()

    def node(step: int, label: str) -> int:
        return index.setdefault((step, label), len(index))

    root = node(0, f"Reached {start}")
    for path, end in zip(paths, ends, strict=True):
        here = root
        sizes[root] += 1
        for s, label in enumerate(path):
            there = node(s + 1, label if label in kept[s] else OTHER)
            flows[(here, there)] += 1
            sizes[there] += 1
            here = there
        there = node(steps + 1, end)
        flows[(here, there)] += 1
        sizes[there] += 1
    nodes = tuple(
        FlowNode(step, label, sizes[i])
        for (step, label), i in sorted(index.items(), key=lambda kv: kv[1])
    )
    links = tuple(FlowLink(s, t, c) for (s, t), c in sorted(flows.items()))
    return nodes, links


__all__ = ["DEFAULT_STEPS", "DEFAULT_TOP", "FlowLink", "FlowNode", "FlowReport", "flow_report"]
