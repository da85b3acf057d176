"""A time budget per request: an answer (503) within ``request_budget_seconds``, always.

Journey definitions are bounded by their limits (``model/journey_limits.py``) and cost
milliseconds; what is left that can run long is a report over a large store or a request
that keeps its body coming. When a request has not started its answer within the budget,
the client gets a 503 naming the budget and the request's work is cancelled; work already
inside a worker thread (a DuckDB query) cannot be stopped from outside and finishes on its
own, its answer dropped. A write is one transaction: it is either committed before the
answer or not at all, so a 503 never hides half a write, but a client that retries must
expect that the write may have been committed (ids make retries safe: duplicates are
answered as duplicates).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headway.web.errors import error_response

DEFAULT_BUDGET_SECONDS = 120.0


class RequestBudget:
    """ASGI middleware: a 503 for a request that has not begun its answer in ``seconds``."""

    def __init__(self, app: ASGIApp, seconds: float = DEFAULT_BUDGET_SECONDS) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = answered = False

        async def guarded(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the 503 went out: what the late work sends is dropped
            started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if done:
            task.result()  # its exceptions, as if it had been awaited
            return
        if started:  # an answer under way (a long download): let it finish
            await task
            return
        answered = True
        task.cancel()
        task.add_done_callback(_consume)
        await _too_long(self.seconds)(scope, receive, send)


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


def _too_long(seconds: float) -> Any:
    body = {
        "code": "request_too_long",
        "message": f"the request took longer than the server's budget of {seconds:g} s "
        "for one request (request_budget_seconds); nothing more is sent",
        "details": [],
    }
    return error_response(503, body, {"Retry-After": "60", "Connection": "close"})
