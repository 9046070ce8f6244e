"""Limits on requests: headers (a clean 431 instead of whatever the HTTP server does) and bodies (413).

The HTTP server reads request heads up to 1 MiB (:mod:`service.http.serving`); the rule for headers is
explicit and does not depend on the network's timing: at most :data:`MAX_HEADER_BYTES` of header names and
values and :data:`MAX_HEADER_FIELDS` fields, else ``431 Request Header Fields Too Large`` saying which limit
was passed (answered by :class:`service.http.front.Front`).

>>> header_problem([(b"host", b"x")]) is None
True
>>> header_problem([(b"x-big", b"a" * 20000)])
'the request headers take 20006 bytes; at most 16384 are accepted'
>>> header_problem([(b"x", b"")] * 101)
'the request has 101 header fields; at most 100 are accepted'
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from fastapi import HTTPException, Request

MAX_HEADER_BYTES = 16 * 1024
"""Header names and values together (the request line is not counted: long GET queries stay possible)."""
MAX_HEADER_FIELDS = 100


def header_problem(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """Why the headers are refused, or None."""
    if len(headers) > MAX_HEADER_FIELDS:
        return f"the request has {len(headers)} header fields; at most {MAX_HEADER_FIELDS} are accepted"
    size = sum(len(name) + len(value) + 1 for name, value in headers)
    if size > MAX_HEADER_BYTES:
        return f"the request headers take {size} bytes; at most {MAX_HEADER_BYTES} are accepted"
    return None


def too_large(limit: int) -> HTTPException:
    """413, closing the connection: the rest of the body is not read (:mod:`service.http.serving`)."""
    return HTTPException(413, f"the request body is larger than the limit of {limit} bytes",
                         headers={"Connection": "close"})


async def read_body(request: Request, limit: int, timeout: float | None = None) -> bytes:
    """The request body, reading at most ``limit + 1`` bytes; 413 if it is longer (at once if Content-Length says
    so); 408 if it has not all arrived within ``timeout`` seconds (a client that declares a body and sends it a
    byte at a time, or never)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large(limit)
        except ValueError:
            raise HTTPException(400, f"Content-Length {declared!r} is not a number") from None
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise HTTPException(408, f"the request body did not arrive within {timeout:g} s; send it at once",
                            headers={"Connection": "close"}) from None
    return b"".join(chunks)
