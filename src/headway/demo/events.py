"""A columnar buffer of generated activities: numpy arrays appended per batch."""

from __future__ import annotations

from typing import Any

import numpy as np

from headway.model.activity import KNOWN_TYPES

# Codes of the generated rows are positions in this tuple.
TYPES = KNOWN_TYPES
T = {name: code for code, name in enumerate(TYPES)}

# Ground truth of who made an open or click (the demo_truth table).
TRUTH = ("human", "mpp", "gmail_prefetch", "scanner")
HUMAN, MPP, GMAIL_PREFETCH, SCANNER = range(4)
BOUNCES = ("hard", "soft")

COLUMNS: dict[str, tuple[type, Any]] = {
    "contact": (np.int32, None),
    "type": (np.int8, None),
    "ts": (np.int64, None),
    "email": (np.int16, -1),
    "link": (np.int16, -1),
    "page": (np.int16, -1),
    "form": (np.int8, -1),
    "ua": (np.int16, -1),
    "ip": (np.int64, -1),
    "head": (np.bool_, False),
    "bounce": (np.int8, -1),
    "utm": (np.int8, -1),
    "plan": (np.int8, -1),
    "currency": (np.int8, -1),
    "value": (np.float64, np.nan),
    "truth": (np.int8, -1),
}


class Events:
    """Activities collected as column batches; ``finish`` concatenates and orders them."""

    def __init__(self) -> None:
        self._parts: list[dict[str, np.ndarray]] = []

    def add(self, contact: np.ndarray, type_: str, ts: np.ndarray, **cols: Any) -> None:
        """Add one batch; scalar column values are broadcast over it."""
        n = len(contact)
        if n == 0:
            return
        part = {"contact": contact, "type": np.full(n, T[type_]), "ts": ts}
        for name, value in cols.items():
            part[name] = np.broadcast_to(value, n)
        self._parts.append(part)

    def finish(self, end_us: int) -> dict[str, np.ndarray]:
        """All batches as columns, before ``end_us`` only, ordered by contact, time, type."""
        out: dict[str, np.ndarray] = {}
        for name, (dtype, fill) in COLUMNS.items():
            pieces: list[np.ndarray] = [
                np.asarray(p[name], dtype=dtype)
                if name in p
                else np.full(len(p["ts"]), fill, dtype)
                for p in self._parts
            ]
            out[name] = np.concatenate(pieces) if pieces else np.empty(0, dtype)
        keep = out["ts"] < end_us
        order = np.lexsort((out["type"][keep], out["ts"][keep], out["contact"][keep]))
        return {name: col[keep][order] for name, col in out.items()}
