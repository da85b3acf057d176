"""The dedupe window of tracked opens and clicks: repeats are counted, not stored one by one.

The first open (or click) of a token from one client — same address, user agent and method —
is recorded at once, as before. Further hits of the same token and client within
``tracking.dedupe_seconds`` are only counted in memory; when the window closes, one activity of
the same type stands for all of them, with the property ``repeats`` (how many hits it stands
for) and the time and properties of the last one. So a token hammered by one client adds at
most two rows per window, while email statistics still count every hit ("all" opens and
clicks, as the ESPs count them). Pending repeats are written when their window closes and when
the server stops; a crash (kill -9) loses at most the repeats of open windows, never a first
hit. The windows live in this process's memory (each server process dedupes on its own).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_MAX_WINDOWS = 100_000

Record = Callable[[pa.Table], Coroutine[Any, Any, None]]


@dataclass
class _Window:
    """One open window: when it closes, the repeats seen so far and the last repeat's row."""

    closes: float
    repeats: int = 0
    last: pa.Table | None = None
    timer: asyncio.TimerHandle | None = None


class Dedupe:
    """Open windows by (token, client) key; repeats within one become one ``repeats`` row."""

    def __init__(self, seconds: float, record: Record, max_windows: int = DEFAULT_MAX_WINDOWS):
        self.seconds = seconds
        self.record = record
        self.max_windows = max_windows
        self.windows: OrderedDict[Hashable, _Window] = OrderedDict()
        self.tasks: set[asyncio.Task[None]] = set()

    def repeat(self, key: Hashable, row: pa.Table) -> bool:
        """True when ``key`` has an open window: the hit is counted there (nothing written now)."""
        if self.seconds <= 0:
            return False
        window = self.windows.get(key)
        now = time.monotonic()
        if window is None or window.closes <= now:
            return False
        window.repeats += 1
        window.last = row
        if window.timer is None:
            loop = asyncio.get_running_loop()
            window.timer = loop.call_later(window.closes - now, self._close, key, window)
        return True

    def opened(self, key: Hashable) -> None:
        """Open a window for ``key`` (its first hit was just recorded)."""
        if self.seconds <= 0:
            return
        old = self.windows.pop(key, None)
        if old is not None:
            self._close(key, old)
        self.windows[key] = _Window(time.monotonic() + self.seconds)
        while len(self.windows) > self.max_windows:
            first, window = next(iter(self.windows.items()))
            self._close(first, window)
        self._forget_closed()

    def forget(self, contact: str) -> int:
        """Drop the open windows of ``contact`` and their pending repeats (erasure); how many."""
        keys = [key for key in self.windows if isinstance(key, tuple) and contact in key[2:3]]
        for key in keys:
            window = self.windows.pop(key)
            if window.timer is not None:
                window.timer.cancel()
        return len(keys)

    async def flush(self) -> None:
        """Write every pending repeat now and wait for it (server shutdown)."""
        for key, window in list(self.windows.items()):
            self._close(key, window)
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def _close(self, key: Hashable, window: _Window) -> None:
        if self.windows.get(key) is window:
            del self.windows[key]
        if window.timer is not None:
            window.timer.cancel()
            window.timer = None
        if window.repeats and window.last is not None:
            row = repeats_row(window.last, window.repeats)
            window.repeats, window.last = 0, None
            task = asyncio.get_running_loop().create_task(self.record(row))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _forget_closed(self) -> None:
        """Drop windows that closed without repeats (they have no timer), oldest first."""
        now = time.monotonic()
        while self.windows:
            key, window = next(iter(self.windows.items()))
            if window.closes > now:
                break
            self._close(key, window)


def repeats_row(row: pa.Table, repeats: int) -> pa.Table:
    """``row`` (one activity) with ``repeats`` added to its properties."""
    props = orjson.loads(row.column("properties")[0].as_py())
    props["repeats"] = repeats
    column = pc.cast(pa.array([orjson.dumps(props).decode()]), pa.string())
    return row.set_column(row.schema.get_field_index("properties"), "properties", column)
