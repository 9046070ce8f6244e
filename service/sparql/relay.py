"""Federation through pinned connections: the address the guard checked is the address that is reached.

The federation guard (:func:`service.sparql.guards.check_target`) resolves a ``SERVICE``/``LOAD`` host and checks
every address. Left alone, pyoxigraph would then resolve the host *again* when it connects, and a hostile DNS
server could answer a public address to the guard and a private one (``169.254.169.254``, ``127.0.0.1``) to
pyoxigraph ("DNS rebinding"). pyoxigraph cannot be told which address to use, so it is never given the host:
:func:`pin_targets` replaces each checked target in the text with the address of a :class:`Relay` on loopback,
``http://127.0.0.1:{port}/{token}``, and the relay sends the request on to the target's IRI, connecting to an
address the guard checked (TLS still verifies the certificate for the host's name, and the ``Host`` header names
it). The relay follows no redirect, resolves nothing, caps the answer (:attr:`Relay.max_bytes`), and refuses
XML whose entity declarations could expand without bound (a ``LOAD`` of RDF/XML, :mod:`kg.store.entities`).

>>> from service.sparql.guards import analyse
>>> relay = Relay(timeout=5, max_bytes=1024)
>>> text = 'SELECT * { SERVICE <https://dbpedia.org/sparql> { ?s ?p ?o } }'
>>> pinned = pin_targets(text, analyse(text), ["https://dbpedia.org/"], relay, lambda host: ["93.184.215.14"])
>>> pinned.startswith("SELECT * { SERVICE <http://127.0.0.1:"), "dbpedia" in pinned
(True, False)
>>> relay.close()

A pinned request goes to the address, with the host's name for ``Host`` and TLS:

>>> pinned_request("https://dbpedia.org:8443/sparql?x=1", "93.184.215.14")
('https://93.184.215.14:8443/sparql?x=1', 'dbpedia.org:8443', 'dbpedia.org')
>>> pinned_request("http://example.org/", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")[0]
'http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/'
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

import httpx

from kg.store.entities import EntityRefused, check_entities
from service.sparql.guards import Analysis, Resolver, check_target, resolve_host

FORWARDED_HEADERS = ("accept", "content-type", "user-agent")
"""The request headers the relay passes on (nothing else of the request reaches the target)."""


@dataclass(frozen=True)
class Pin:
    """A target the guard allowed: its IRI, the addresses it checked, and until when the pin holds."""

    iri: str
    addresses: tuple[str, ...]
    expires: float


def pinned_request(iri: str, address: str) -> tuple[str, str, str]:
    """The URL that reaches ``iri`` at ``address``, its ``Host`` header and the TLS server name."""
    parts = urlsplit(iri)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    hostname = parts.hostname or ""
    named = f"[{hostname}]" if ":" in hostname else hostname
    return (urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
            named if parts.port is None else f"{named}:{parts.port}", hostname)


@dataclass
class Relay:
    """A small HTTP server on loopback that forwards each pinned request to its target's checked address.

    It starts with the first pin and stops with :meth:`close`. A pin holds for ``timeout`` seconds plus a minute
    (the query or update that uses it runs at most ``timeout``); the token in its path is random, so another
    process on the machine cannot use the relay to reach anything the guard did not allow for this request.
    """

    timeout: float
    max_bytes: int
    _pins: dict[str, Pin] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def pin(self, iri: str, addresses: Sequence[str]) -> str:
        """Register ``iri`` at its checked ``addresses``; answer the relay URL to use in its place."""
        token = secrets.token_urlsafe(18)
        now = time.monotonic()
        with self._lock:
            for old in [key for key, pin in self._pins.items() if pin.expires < now]:
                del self._pins[old]
            self._pins[token] = Pin(iri, tuple(addresses), now + self.timeout + 60)
            server = self._server or self._start()
        return f"http://127.0.0.1:{server.server_address[1]}/{token}"

    def lookup(self, token: str) -> Pin | None:
        """The pin of ``token``, if it holds."""
        with self._lock:
            pin = self._pins.get(token)
        return pin if pin is not None and pin.expires >= time.monotonic() else None

    def forward(self, pin: Pin, method: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        """Send the request to ``pin``'s IRI at its first reachable checked address; answer status, type, body.

        A failure is a ``502`` whose text says why (pyoxigraph puts it in its error message)."""
        last = "no address"
        for address in pin.addresses:
            url, host, server_name = pinned_request(pin.iri, address)
            try:
                with httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
                    request = client.build_request(method, url, content=body or None,
                                                   headers=headers | {"Host": host},
                                                   extensions={"sni_hostname": server_name})
                    answer = client.send(request, stream=True)
                    try:
                        data = self._read(answer)
                    finally:
                        answer.close()
            except httpx.ConnectError as err:
                last = f"{address}: {err}"
                continue
            except (httpx.HTTPError, ValueError) as err:
                return 502, "text/plain", f"the federated endpoint {pin.iri} failed: {err}".encode()
            media = answer.headers.get("content-type", "")
            if "xml" in media.lower():
                try:
                    check_entities(data)
                except EntityRefused as err:
                    return 502, "text/plain", f"the answer of {pin.iri} is refused: {err}".encode()
            return answer.status_code, media, data
        return 502, "text/plain", f"the federated endpoint {pin.iri} cannot be reached ({last})".encode()

    def _read(self, answer: httpx.Response) -> bytes:
        chunks, size = [], 0
        for chunk in answer.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise ValueError(f"its answer is larger than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _start(self) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="federation-relay", daemon=True).start()
        self._server = server
        return server

    def close(self) -> None:
        """Stop the relay (if it started) and forget every pin."""
        with self._lock:
            server, self._server = self._server, None
            self._pins.clear()
        if server is not None:
            server.shutdown()
            server.server_close()


def _handler(relay: Relay) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        """One request from pyoxigraph: its path is a pin's token."""

        def _relay(self) -> None:
            pin = relay.lookup(self.path.lstrip("/").split("?", 1)[0])
            if pin is None:
                self._answer(404, "text/plain", b"no such pin (expired, or never made)")
                return
            size = int(self.headers.get("content-length") or 0)
            if size > relay.max_bytes:
                self._answer(413, "text/plain", b"request too large")
                return
            body = self.rfile.read(size) if size else b""
            headers = {name: value for name in FORWARDED_HEADERS if (value := self.headers.get(name))}
            self._answer(*relay.forward(pin, self.command, body, headers))

        def _answer(self, status: int, media: str, data: bytes) -> None:
            self.send_response(status)
            if media:
                self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _relay

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
            pass  # the access log records the SPARQL request; pins are not worth a line each

    return Forward


def pin_targets(text: str, analysis: Analysis, allowlist: Sequence[str], relay: Relay | None,
                resolver: Resolver = resolve_host) -> str:
    """Check every SERVICE and LOAD target of ``text`` (``analysis`` is of this text); answer the text with each
    target replaced by a relay URL pinned to the addresses just checked. Without a relay (a remote store runs
    SERVICE itself, so loopback means nothing to it), the targets are checked and the text is left as it is.

    Raises :class:`~service.sparql.guards.FederationRefused` for a target that is not allowed.
    """
    pinned: list[tuple[tuple[int, int], str]] = []
    for target in analysis.targets:
        addresses = check_target(target, allowlist, resolver)
        if relay is not None and target.iri is not None and target.span[0] >= 0:
            pinned.append((target.span, relay.pin(target.iri, addresses)))
    for (start, end), url in sorted(pinned, reverse=True):  # from the end: earlier offsets stay valid
        text = f"{text[:start]}<{url}>{text[end:]}"
    return text
