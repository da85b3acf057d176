"""The attribution path builder as it was before ``group_paths`` (tests only): per contact, a
Python slice of its touchpoints, counted in a dict. ``journey_paths`` must equal it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from headway.backends.base import Backend
from headway.engine.attribution.paths import Paths, aggregate_paths
from headway.engine.attribution.report import NOT_TOUCHPOINTS
from headway.engine.diagnostics.touchpoints import fetch_touchpoints, intervals_table, stage_mask
from headway.engine.kernel.run import Matched


def reference_paths(backend: Backend, matched: Matched, human: bool = True) -> Paths:
    """Each entered contact's touchpoints from entry to conversion (or window end / as_of)."""
    res = matched.result
    n = len(matched.journey.stages)
    entered = res.reached >= 1
    keys = res.contact[entered]
    entry = res.stage_ts[entered, 0]
    converted = res.reached[entered] == n
    open_end = np.minimum(entry + matched.window_us, matched.as_of_us)
    end = np.where(converted, res.stage_ts[entered, n - 1], open_end) + 1  # inclusive
    intervals = intervals_table(np.zeros(len(keys)), keys, entry, end, stage_mask(range(n)))
    rows = fetch_touchpoints(
        backend, matched.journey, matched.options, intervals, human=human, grouped=False
    )
    keep = [not t.startswith(NOT_TOUCHPOINTS) for t in rows.column("touchpoint").to_pylist()]
    rows = rows.filter(pa.array(keep, pa.bool_()))
    row_keys = rows.column("contact_key").to_numpy()
    touchpoints = rows.column("touchpoint").to_pylist()
    lo = np.searchsorted(row_keys, keys, side="left")
    hi = np.searchsorted(row_keys, keys, side="right")
    return aggregate_paths(
        (touchpoints[a:b], bool(c)) for a, b, c in zip(lo, hi, converted, strict=True)
    )
