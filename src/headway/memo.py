"""A thread-safe memo bounded by approximate bytes, least recently used out first.

Concurrent callers asking for the same key while it is being computed wait for that one
computation instead of starting their own. A computation may decline to be kept (``keep``
returns False, e.g. because the data changed meanwhile); its value still reaches every caller
that waited for it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any


@dataclass
class MemoStats:
    """Counters since the memo was created."""

    hits: int = 0
    computed: int = 0
    waited: int = 0  # callers served by a computation another caller had started
    evicted: int = 0


class Memo:
    """Values by key, within ``budget_bytes`` (sizes are what ``compute`` reports)."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self.stats = MemoStats()
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._pending: dict[Hashable, Future[Any]] = {}
        self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Approximate bytes held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(
        self,
        key: Hashable,
        compute: Callable[[], tuple[Any, int]],
        keep: Callable[[], bool] = lambda: True,
    ) -> Any:
        """The value of ``key``: held, being computed by another caller, or computed now."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.stats.hits += 1
                return self._entries[key][0]
            future = self._pending.get(key)
            owner = future is None
            if future is None:
                future = self._pending[key] = Future()
                self.stats.computed += 1
            else:
                self.stats.waited += 1
        if not owner:
            return future.result()
        return self._compute(key, future, compute, keep)

    def discard_if(self, stale: Callable[[Hashable], bool]) -> None:
        """Drop every held entry whose key is ``stale``."""
        with self._lock:
            for key in [k for k in self._entries if stale(k)]:
                self._bytes -= self._entries.pop(key)[1]

    def clear(self) -> None:
        """Drop every held entry."""
        self.discard_if(lambda _key: True)

    def _compute(
        self,
        key: Hashable,
        future: Future[Any],
        compute: Callable[[], tuple[Any, int]],
        keep: Callable[[], bool],
    ) -> Any:
        try:
            value, size = compute()
        except BaseException as err:
            with self._lock:
                del self._pending[key]
            future.set_exception(err)
            raise
        with self._lock:
            del self._pending[key]
            if self.budget_bytes > 0 and size <= self.budget_bytes and keep():
                self._entries[key] = (value, size)
                self._bytes += size
                self._evict()
        future.set_result(value)
        return value

    def _evict(self) -> None:
        # Called with the lock held.
        while self._bytes > self.budget_bytes and self._entries:
            _key, (_value, size) = self._entries.popitem(last=False)
            self._bytes -= size
            self.stats.evicted += 1
