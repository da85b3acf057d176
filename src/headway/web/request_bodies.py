"""Reading a request body with a size limit: refused as soon as it is over, not after."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from headway.errors import PayloadTooLarge


async def read_capped(
    request: Request, limit: int, refusal: Callable[[int | None], PayloadTooLarge]
) -> bytes:
    """The body of ``request``; ``refusal(size)`` is raised once it is over ``limit`` bytes
    (``size`` is the declared length when the client sent one, else None)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise refusal(int(declared))
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise refusal(None)
        chunks.append(chunk)
    return b"".join(chunks)
