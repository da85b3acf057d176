"""A cheap screen for property keys that may break the name rule, over many JSON texts at once.

Walking every object in Python, or a regular expression per row in SQL, costs more than the
rest of an import. The JSON texts of a whole batch are one UTF-8 buffer; a bad key shows in it
as a backslash (an escaped control character), DEL (7F), a C1 control (C2 80-C2 9F), ``"":``
(an empty key) or more than 201 bytes between two quotes (a key over 200 characters). NumPy
finds those bytes; only the texts that hold one are parsed and judged exactly by
``names.key_problem`` (a long value or an escaped quote is a false alarm, never a miss).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from headway.model.names import MAX_NAME_LENGTH

_QUOTE, _COLON, _BACKSLASH, _DEL, _C2 = 0x22, 0x3A, 0x5C, 0x7F, 0xC2


def suspect_positions(data: np.ndarray) -> np.ndarray:
    """Byte positions in ``data`` (uint8, UTF-8 JSON) where a bad key may start or show."""
    found = [np.flatnonzero((data == _BACKSLASH) | (data == _DEL))]
    c2 = np.flatnonzero(data[:-1] == _C2)
    found.append(c2[(data[c2 + 1] >= 0x80) & (data[c2 + 1] <= 0x9F)])
    quotes = np.flatnonzero(data == _QUOTE)
    if len(quotes) >= 2:
        gaps = np.diff(quotes)
        found.append(quotes[:-1][gaps > MAX_NAME_LENGTH + 1])
        empty = quotes[1:][gaps == 1] + 1
        empty = empty[empty < len(data)]
        found.append(empty[data[empty] == _COLON])
    return np.concatenate(found)


def suspect(text: bytes) -> bool:
    """True when some key in this JSON text may break the name rule."""
    return len(suspect_positions(np.frombuffer(text, np.uint8))) > 0


def suspect_rows(texts: pa.Array) -> np.ndarray:
    """Indexes of the strings of ``texts`` (an Arrow string array) that may hold a bad key."""
    if len(texts) == 0 or texts.null_count == len(texts):
        return np.zeros(0, np.int64)
    texts = texts.cast(pa.large_string()) if texts.type != pa.large_string() else texts
    offsets = np.frombuffer(texts.buffers()[1], np.int64)[
        texts.offset : texts.offset + len(texts) + 1
    ]
    data = np.frombuffer(texts.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    positions = suspect_positions(data) + offsets[0]
    rows = np.searchsorted(offsets, positions, side="right") - 1
    return np.unique(rows[(rows >= 0) & (rows < len(texts))])
