"""Durable appends of tracking activities, shared by concurrent requests."""

from __future__ import annotations

import asyncio

import pyarrow as pa
from starlette.concurrency import run_in_threadpool

from headway.api import Headway

# The canonical activity columns (see Store.append_activities).
ACTIVITY_SCHEMA = pa.schema([
    ("id", pa.string()), ("contact", pa.string()), ("type", pa.string()),
    ("ts", pa.timestamp("us")), ("properties", pa.string()), ("bot", pa.bool_()),
    ("bot_reason", pa.string()), ("source", pa.string()),
])  # fmt: skip


class Recorder:
    """Appends the activities of concurrent requests together, one append per round.

    Each request still waits until its row is durable; rows that arrive while an append runs
    share the next one, so many clicks cost one transaction instead of one each.
    """

    def __init__(self, headway: Headway) -> None:
        self.headway = headway
        self.pending: list[tuple[pa.Table, asyncio.Future[None]]] = []
        self.running = False

    async def record(self, table: pa.Table) -> None:
        """Append ``table``; return once it is on disk."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((table, done))
        if not self.running:
            self.running = True
            asyncio.get_running_loop().create_task(self._drain())
        await done

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                await self._append(batch)
        finally:
            self.running = False

    async def _append(self, batch: list[tuple[pa.Table, asyncio.Future[None]]]) -> None:
        table = pa.concat_tables([t for t, _ in batch])
        try:
            await run_in_threadpool(self._append_kept, table)
        except Exception as err:
            for _, done in batch:
                if not done.done():
                    done.set_exception(err)
            return
        for _, done in batch:
            if not done.done():
                done.set_result(None)

    def _append_kept(self, table: pa.Table) -> None:
        """Append the rows of contacts not erased: an old token brings no one back."""
        contacts = table.column("contact").to_pylist()
        gone = self.headway.erased_names(contacts)
        if gone:
            table = table.filter(pa.array([c not in gone for c in contacts]))
        if table.num_rows:
            self.headway.append_activity_table(table)
