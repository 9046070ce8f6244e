"""How the HTTP server runs the app: a fast parser and loop, forwarded headers only from configured proxies, and
request-head limits.

:func:`server_config` is the one uvicorn configuration of ``backchannel serve`` (and of the test servers):

- **httptools and uvloop.** The HTTP/1.1 parser is ``httptools`` (llhttp, in C) and the event loop ``uvloop``
  (libuv): under load the server process spent most of its time in the pure-Python parser h11 (bench/RESULTS.md).

- **Forwarded headers.** uvicorn believes ``X-Forwarded-For`` / ``X-Forwarded-Proto`` from loopback by default,
  so with nothing in front a client could write any address into the access log. They are believed only from the
  addresses in the setting ``trusted_proxies`` (empty by default: never).
- **Slow request heads (slowloris).** uvicorn closes idle keep-alive connections, but not one that sends its
  request line and headers a byte at a time. :class:`HeadTimeout` gives every request head ``header_timeout``
  seconds from the connection (or from the first byte of the next request on a kept-alive connection); a slower
  client gets ``408 Request Timeout`` and its connection is closed. Bodies have their own limit
  (``body_timeout``, :func:`service.http.limits.read_body`).
- **Enormous request heads.** h11 refused a head past its buffer; llhttp keeps reading one. A head longer than
  :data:`MAX_HEAD_BYTES` (the request line with its query included) gets ``431 Request Header Fields Too Large`` and
  the connection is closed; below that, :class:`service.http.limits.HeaderLimits` answers 431 for headers past
  16 KiB or 100 fields.
- **Answers given before the body arrived.** A request answered before its body is read (``413`` past the body
  limit, ``401`` or ``403`` for a write) leaves the rest of that body on its way; it is read and dropped, never
  taken for the next request's head (a 2 MiB body after a 413 once got a stray 431). An answer that says
  ``Connection: close`` (the 413) closes the connection gently: our side half-closes after the answer, what the
  client still sends is dropped, and the socket closes :data:`LINGER` seconds later (closing at once, with unread
  data, would reset the connection before the client read the answer). Any other early answer keeps the
  connection for the next request, unless more than :data:`MAX_DRAIN_BYTES` of the body follow, or they take
  longer than ``head_timeout``: then it is closed the same way.

>>> from kg.settings import Settings
>>> config = server_config(object(), Settings(trusted_proxies=[], header_timeout=3))
>>> config.proxy_headers, config.http.head_timeout, config.http.__mro__[2].__name__, config.loop
(False, 3.0, 'HttpToolsProtocol', 'uvloop')
>>> server_config(object(), Settings(trusted_proxies=["10.0.0.1"])).forwarded_allow_ips
['10.0.0.1']
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kg.settings import Settings

MAX_HEAD_BYTES = 1024 * 1024
"""The longest request head (request line and headers) read before answering 431 and closing the connection."""

TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
             b"content-length: 52\r\n\r\nthe request head did not arrive in time; send it now")
"""What a client that is too slow to send its request head receives before its connection is closed."""
TOO_LONG = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"connection: close\r\ncontent-length: 45\r\n\r\nthe request head is longer than 1048576 bytes")
"""What a client whose request head passes :data:`MAX_HEAD_BYTES` receives before its connection is closed."""
MAX_DRAIN_BYTES = 1024 * 1024
"""The most of an answered request's body read (and dropped) to keep its connection for the next request."""
COALESCE_BYTES = 64 * 1024
"""The largest body written together with its answer's head (a bigger one is not copied for that)."""
LINGER = 2.0
"""Seconds a refused connection stays open after its answer (what arrives meanwhile is dropped)."""


class HeadTimeout(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools), closing a connection whose request head takes longer than
    ``head_timeout`` or is longer than :data:`MAX_HEAD_BYTES`."""

    head_timeout: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None
    _head_bytes: int = 0
    _refused: bool = False
    _body_cycle: Any = None
    """The request whose head has been parsed and whose body is still arriving, if any."""
    _drained: int = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # what a refused client still sends is dropped until the connection closes
        if self._awaiting_head():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(TOO_LONG)
                return
        elif self._answered_early():
            self._drained += len(data)
            if self._drained > MAX_DRAIN_BYTES:
                self._refuse(b"")
                return
        super().data_received(data)
        if not (self._awaiting_head() or self._answered_early()):
            self._disarm()
        elif self._head_timer is None:  # the first bytes of the next request on a kept-alive connection
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.cycle is not None and not self.cycle.response_complete:
            self._body_cycle, self._drained = self.cycle, 0
            self.cycle.transport = _CycleTransport(self, self.cycle)  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        if self._answered_early():
            self._disarm()  # the dropped body is over: the next request head gets its own time
        self._body_cycle = None
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._answered_early() and self._head_timer is None:
            self._arm()  # the rest of the body has head_timeout to arrive

    def _answered_early(self, cycle: Any = None) -> bool:
        """The request (``cycle``, or any) has been answered while its body is still arriving."""
        body = self._body_cycle
        return body is not None and body.response_complete and (cycle is None or cycle is body)

    def _awaiting_head(self) -> bool:
        """No request is being answered or read: the connection waits for (the rest of) a request head."""
        return (self.cycle is None or self.cycle.response_complete) and self._body_cycle is None

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.head_timeout, self._expired)

    def _disarm(self) -> None:
        self._head_bytes = 0
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if self._awaiting_head():
            self._refuse(TIMED_OUT)
        elif self._answered_early():
            self._refuse(b"")

    def _refuse(self, answer: bytes) -> None:
        """Answer, close our side, and drop the connection a moment later: closing at once while the client is still
        sending would reset it, and the client would never read the answer."""
        self._disarm()
        if self.transport.is_closing() or self._refused:
            return
        self._refused = True
        if answer:
            self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER, self.transport.close)


class _CycleTransport:
    """The connection as one request's response sees it.

    - The answer's head (uvicorn's first write) is held until its body follows, in the same step of the event loop
      for a whole answer, and both go out in one write (one system call, not two) when the body is at most
      :data:`COALESCE_BYTES`; a head without a body is written at the loop's next turn.
    - Closing it (uvicorn does after a ``Connection: close`` answer) while that request's body is still arriving
      closes gently instead (see :meth:`HeadTimeout._refuse`).
    """

    def __init__(self, protocol: HeadTimeout, cycle: Any) -> None:
        self._protocol = protocol
        self._cycle = cycle
        self._transport = protocol.transport
        self._head: bytes | None = None
        self._wrote = False

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if len(data) <= COALESCE_BYTES:
                self._transport.write(head + data)
                return
            self._transport.write(head)
        elif not self._wrote:  # the head: held for its body
            self._wrote = True
            self._head = bytes(data)
            self._protocol.loop.call_soon(self._flush)
            return
        self._transport.write(data)

    def _flush(self) -> None:
        """Write a head still held (its answer has no body, or the body is slow to come)."""
        head, self._head = self._head, None
        if head is not None:
            self._transport.write(head)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        self._flush()
        if self._protocol._answered_early(self._cycle):
            self._protocol._refuse(b"")
        else:
            self._transport.close()


def head_timeout_protocol(seconds: float) -> type[HeadTimeout]:
    """The HTTP protocol class with a request-head timeout of ``seconds``."""
    return type("HeadTimeoutProtocol", (HeadTimeout,), {"head_timeout": float(seconds)})


def server_config(app: Any, settings: Settings, log_level: str = "info", **extra: Any) -> uvicorn.Config:
    """uvicorn's configuration for serving ``app`` as the settings say (see the module doc)."""
    trusted = list(settings.trusted_proxies)
    return uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level=log_level,
        http=head_timeout_protocol(settings.header_timeout), loop="uvloop",
        proxy_headers=bool(trusted), forwarded_allow_ips=trusted,
        **({"timeout_graceful_shutdown": 30} | extra),
    )
