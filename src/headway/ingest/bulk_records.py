"""The fast path of record validation: whole-batch checks, column by column.

Checking records one by one costs ~8 µs each, most of it parsing timestamps in Python. Here a
batch is taken apart into columns; each column is checked with cheap comprehensions and the
timestamps are parsed by Arrow in one call. A record passes only when every field has the
plain, common shape (``contact``/``type``/``id`` strings, ``ts`` an ISO 8601 text with a zone,
``properties`` an object whose keys pass the name rule, …) for which the result is certainly the same as ``check_record``'s;
every other record, valid or not, is left to ``check_record`` (which names the exact reason).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from headway.ingest import records as checks
from headway.ingest.key_screen import suspect
from headway.model.names import VALID_NAME

# A subset of timestamps.AWARE that Arrow parses exactly as timestamps.parse does (tested):
# four-digit years from 1000, at most 6 fractional digits, a zone within ±19:59.
FAST_TS = (
    r"^[12]\d{3}-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
    r"(Z|[+-][01]\d(:?[0-5]\d)?)$"
)
_FAST_TS_RE = re.compile(FAST_TS)
_UTC_US = pa.timestamp("us", tz="UTC")


def fast_rows(batch: list[Any], source: str) -> tuple[pa.Table, list[int]]:
    """Canonical columns (plus ``_at``, the position) of the plain records, and the others'
    positions, in order."""
    recs = [r if type(r) is dict else {} for r in batch]
    ok = [type(r) is dict for r in batch]
    contact = _text(recs, "contact", ok, required=True)
    kind = _names(recs, "type", ok)
    ident = _text(recs, "id", ok, required=False)
    ts = _timestamps(recs, ok)
    props = _properties(recs, ok)
    bot = [r.get("bot") for r in recs]
    _flag(ok, [b is not None and type(b) is not bool for b in bot])
    reason = _text(recs, "bot_reason", ok, required=False, empty_ok=True)
    src = _text(recs, "source", ok, required=False, empty_ok=True)
    keep = [i for i, good in enumerate(ok) if good]
    slow = [i for i, good in enumerate(ok) if not good]
    columns = {
        "id": _pick(ident, keep),
        "contact": _pick(contact, keep),
        "type": _pick(kind, keep),
        "ts": ts.take(keep).cast(pa.timestamp("us")) if keep else [],
        "properties": _pick(props, keep),
        "bot": [bot[i] is True for i in keep],
        "bot_reason": _pick(reason, keep),
        "source": [src[i] or source for i in keep],
        "_at": keep,
    }
    return pa.table(columns, schema=checks.SCHEMA.append(pa.field("_at", pa.int64()))), slow


def _text(
    recs: list[dict[str, Any]],
    key: str,
    ok: list[bool],
    *,
    required: bool,
    empty_ok: bool = False,
) -> list[Any]:
    """The values of ``key``; records whose value is not a plain string are flagged."""
    values = [r.get(key) for r in recs]
    if required:
        bad = [type(v) is not str or not v.strip() for v in values]
    elif empty_ok:
        bad = [v is not None and type(v) is not str for v in values]
    else:
        bad = [v is not None and (type(v) is not str or not v) for v in values]
    _flag(ok, bad)
    return values


def _names(recs: list[dict[str, Any]], key: str, ok: list[bool]) -> list[Any]:
    """The values of ``key``; records whose value is not a valid name are flagged."""
    values = [r.get(key) for r in recs]
    valid = VALID_NAME.fullmatch
    _flag(ok, [type(v) is not str or valid(v) is None for v in values])
    return values


def _keys_ok(value: dict[Any, Any] | list[Any], depth: int = 64) -> bool:
    """Every key at any depth passes the name rule (as ``names.key_problem`` judges)."""
    if depth <= 0:
        return True
    valid = VALID_NAME.fullmatch
    items = value.items() if type(value) is dict else enumerate(value)
    for key, inner in items:
        if type(value) is dict and (type(key) is not str or valid(key) is None):
            return False
        if (type(inner) is dict or type(inner) is list) and not _keys_ok(inner, depth - 1):
            return False
    return True


def _timestamps(recs: list[dict[str, Any]], ok: list[bool]) -> pa.Array:
    """UTC timestamps of the plain ISO values (others flagged), parsed by Arrow in one call."""
    values = [r.get("ts") for r in recs]
    plain = [good and type(v) is str and _FAST_TS_RE.fullmatch(v) is not None
             for v, good in zip(values, ok, strict=True)]  # fmt: skip
    text = pa.array([v if p else None for v, p in zip(values, plain, strict=True)], pa.string())
    try:
        parsed = pc.cast(text, _UTC_US)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # Some value is not a real date (Feb 30, 24:00): leave every timestamp to the checks.
        plain = [False] * len(values)
        parsed = pa.nulls(len(values), _UTC_US)
    _flag(ok, [not p for p in plain])
    return parsed


def _properties(recs: list[dict[str, Any]], ok: list[bool]) -> list[str | None]:
    """Properties as JSON text (top-level extras merged in); non-objects and bad keys flagged."""
    out: list[str | None] = []
    raw: list[bytes] = []
    known = checks.KNOWN
    for r, good in zip(recs, ok, strict=True):
        given = r.get("properties")
        if not good or (given is not None and type(given) is not dict):
            out.append(None)
            raw.append(b"")
            if given is not None and type(given) is not dict:
                ok[len(out) - 1] = False
        elif given is not None and r.keys() <= known:
            try:
                data = orjson.dumps(given) if given else b"{}"
            except orjson.JSONEncodeError:  # 255 levels deep or more: check_record says why
                ok[len(out)] = False
                out.append(None)
                raw.append(b"")
                continue
            raw.append(data)
            out.append(data.decode())
        elif r.keys() - known and checks.too_deep(r):
            ok[len(out)] = False  # extras nested too deeply: check_record says why
            out.append(None)
            raw.append(b"")
        else:
            text = checks.merged_properties(r, check_keys=False)
            raw.append(text.encode() if text else b"")
            out.append(text)
    # Nesting: a record with fewer brackets than the limit cannot be too deep; only the
    # others are walked (check_record names the reason of those that are).
    joined = b"\n".join(raw)
    if joined.count(b"{") + joined.count(b"[") > checks.MAX_PROPERTY_DEPTH:
        for i, data in enumerate(raw):
            if ok[i] and data.count(b"{") + data.count(b"[") > checks.MAX_PROPERTY_DEPTH:
                ok[i] = not checks.too_deep(orjson.loads(data))
    # One screen for the batch (key_screen.py); only flagged records are walked.
    if suspect(joined):
        for i, data in enumerate(raw):
            if ok[i] and suspect(data):
                ok[i] = _keys_ok(orjson.loads(data))
    return out


def _flag(ok: list[bool], bad: list[bool]) -> None:
    if not any(bad):
        return
    for i, b in enumerate(bad):
        if b:
            ok[i] = False


def _pick(values: list[Any], keep: list[int]) -> list[Any]:
    return [values[i] for i in keep]
