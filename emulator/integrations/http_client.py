"""The one outgoing HTTP client every integration that calls a URL shares: HTTP, HTTP_PROXY, AWS services.

One pool of keep-alive connections, as API Gateway keeps its own to a backend, so that a page or a
benchmark that fires many requests does not open a connection for each. The ``Gateway`` owns it and
closes it when it stops (``Gateway.aclose``: ``serve``'s shutdown, the harness, the pytest plugin).

It is HTTP/1.1 on asyncio's streams, with httptools (the server's parser) reading the answers, rather
than httpx: under 16 concurrent requests to a local backend httpx's pool answered ~95 requests/s
where plain asyncio connections answered ~1,800 (its locks go through AnyIO on every request, httpx
issue 3215), and an integration must add little to what the backend costs. It also sends exactly the
headers it is given (``Host`` and ``Content-Length`` added when missing, nothing else), reads the body
raw (a gzip body stays gzip, with its ``Content-Encoding``), follows no redirect and reads no proxy
setting or ``.netrc``, which is what API Gateway does.

What a failed call means to the client is decided here, once for every kind: the integration timeout
is AWS's 504, and a backend that cannot be reached is AWS's 500 (``errors.EndpointUnreachable``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import httptools

from emulator.errors import EndpointUnreachable, IntegrationFailure, IntegrationTimeout
from emulator.integrations.base import BackendReply, within

#: API Gateway's payload limit applies to what a backend answers too: past it the gateway gives up
#: with a 500 rather than hold an unbounded body in memory.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
#: Idle connections kept per backend; more are closed when their answer is read.
MAX_IDLE_PER_ORIGIN = 64
_READ_SIZE = 65536
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_IN_HOST = re.compile(r"[\x00-\x20\x7f/\\]")
#: What a request target keeps as it is; anything else (a space, non-ASCII) is percent-encoded.
_TARGET_SAFE = "/?#[]@!$&'()*+,;=:%-._~"

Origin = tuple[str, str, int]


@dataclass(slots=True)
class OutboundRequest:
    """One call to a backend, exactly as it goes on the wire: no header is added but ``Host`` and the framing."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The last value of a header, looked up case-insensitively."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


class HttpClient:
    """Sends ``OutboundRequest``s within an integration's timeout and reads the answer into a ``BackendReply``."""

    def __init__(self, *, max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.max_response_bytes = max_response_bytes
        self._idle: dict[Origin, list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def send(self, request: OutboundRequest, *, timeout_ms: int, backend: str) -> BackendReply:
        """The backend's answer, its status as the ``selector`` integration responses match.

        ``backend`` names the integration in the reasons the log gives (``HTTP integration http://…``).
        """
        origin, head = self._prepare(request, backend)
        try:
            return await within(timeout_ms / 1000, self._exchange(origin, head, request, backend))
        except asyncio.TimeoutError:
            raise IntegrationTimeout(
                f"{backend} did not answer {request.method} {request.url} within the integration timeout of "
                f"{timeout_ms} ms"
            ) from None

    def _prepare(self, request: OutboundRequest, backend: str) -> tuple[Origin, bytes]:
        """The backend's origin and the request's head, or the 500 for a URL or header that cannot be sent."""
        try:
            parts = urlsplit(request.url)
            scheme = parts.scheme.lower()
            if scheme not in ("http", "https"):
                raise ValueError(f"the scheme {parts.scheme!r} is not http or https")
            if not parts.hostname or _BAD_IN_HOST.search(parts.hostname):
                raise ValueError(
                    "it names no host" if not parts.hostname else f"{parts.hostname!r} is not a host name"
                )
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise EndpointUnreachable(
                f"{backend}: the URL {request.url!r} is not a valid endpoint: {exc}"
            ) from None
        target = quote(parts.path or "/", safe=_TARGET_SAFE)
        if parts.query:
            target += "?" + quote(parts.query, safe=_TARGET_SAFE)
        lines = [f"{request.method} {target} HTTP/1.1"]
        names = set()
        for name, value in request.headers:
            if not _TOKEN.fullmatch(name) or _BAD_IN_VALUE.search(value):
                raise IntegrationFailure(
                    f"{backend}: the request header {name!r}: {value[:100]!r} cannot be sent (not a header name, "
                    "or a line break in its value)"
                )
            names.add(name.lower())
            lines.append(f"{name}: {value}")
        if "host" not in names:
            default = (scheme, port) in (("http", 80), ("https", 443))
            host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
            lines.append(f"Host: {host}" if default else f"Host: {host}:{port}")
        if "content-length" not in names:
            # API Gateway frames every call with a Content-Length, an empty GET's ``0`` included (reference A.6).
            lines.append(f"Content-Length: {len(request.body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        return (scheme, parts.hostname, port), head

    async def _exchange(
        self, origin: Origin, head: bytes, request: OutboundRequest, backend: str
    ) -> BackendReply:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.closed_by_peer:
                # The backend ended it while it was idle (its keep-alive timeout): never reused.
                connection.close()
                continue
            try:
                reply = await connection.roundtrip(head, request, self.max_response_bytes, backend)
            except _Stale:
                # It ended just as the request went out, without a byte of answer: sent once more, on a
                # new connection, as HTTP clients do; never more than once, so a backend that drops a
                # request it read does not get it again and again.
                connection.close()
                break
            except BaseException:
                connection.close()
                raise
            return self._done(origin, connection, reply)
        connection = await self._connect(origin, request, backend)
        try:
            reply = await connection.roundtrip(head, request, self.max_response_bytes, backend)
        except _Stale:
            connection.close()
            raise EndpointUnreachable(
                f"{backend}: {request.method} {request.url} failed: the backend closed the connection without answering"
            ) from None
        except BaseException:
            connection.close()
            raise
        return self._done(origin, connection, reply)

    def _done(self, origin: Origin, connection: _Connection, reply: BackendReply) -> BackendReply:
        idle = self._idle.setdefault(origin, [])
        if connection.reusable and len(idle) < MAX_IDLE_PER_ORIGIN:
            idle.append(connection)
        else:
            connection.close()
        return reply

    async def _connect(self, origin: Origin, request: OutboundRequest, backend: str) -> _Connection:
        scheme, host, port = origin
        tls = None
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        try:
            reader, writer = await asyncio.open_connection(host, port, ssl=tls, limit=_READ_SIZE)
        except (OSError, ssl.SSLError, ValueError, OverflowError) as exc:
            raise EndpointUnreachable(
                f"{backend}: {request.method} {request.url} failed: {type(exc).__name__}: {exc}"
            ) from None
        return _Connection(reader, writer)

    async def aclose(self) -> None:
        """Close every idle connection; one in use closes when its call ends or is cancelled."""
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
        for connections in idle.values():
            for connection in connections:
                await connection.wait_closed()


class _Stale(Exception):
    """The connection ended before any byte of the answer: the request was not read."""


class _Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reusable = False

    async def roundtrip(
        self, head: bytes, request: OutboundRequest, limit: int, backend: str
    ) -> BackendReply:
        self.reusable = False
        answer = _Answer(request.method, limit, backend, request.url)
        parser = answer.parser = httptools.HttpResponseParser(answer)
        try:
            # One write for a small request: one packet, as the backend's first read expects it.
            if len(request.body) < _READ_SIZE:
                self.writer.write(head + request.body)
            else:
                self.writer.write(head)
                self.writer.write(request.body)
            await self.writer.drain()
            while not answer.complete:
                data = await self.reader.read(_READ_SIZE)
                if not data:
                    answer.ended()
                    break
                answer.received = True
                parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if answer.error is not None:
                raise answer.error from None
            raise EndpointUnreachable(
                f"{backend}: {request.method} {request.url} failed: the answer is not HTTP/1.1: {exc}"
            ) from None
        except (ConnectionError, OSError) as exc:
            if not answer.received:
                raise _Stale from None
            raise EndpointUnreachable(
                f"{backend}: {request.method} {request.url} failed: {type(exc).__name__}: {exc}"
            ) from None
        self.reusable = answer.complete and answer.keep_alive
        status = parser.get_status_code()
        return BackendReply(status, answer.headers, b"".join(answer.body), selector=str(status))

    @property
    def closed_by_peer(self) -> bool:
        return self.reader.at_eof() or self.writer.transport.is_closing()

    def close(self) -> None:
        self.reusable = False
        self.writer.close()

    async def wait_closed(self) -> None:
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
            await self.writer.wait_closed()


class _Answer:
    """httptools' callbacks for one answer: its headers and body as they arrive."""

    def __init__(self, method: str, limit: int, backend: str, url: str) -> None:
        self.method = method
        self.limit = limit
        self.backend = backend
        self.url = url
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.size = 0
        self.received = False
        self.complete = False
        #: An error a callback raised, which httptools reports as its own.
        self.error: IntegrationFailure | None = None
        #: Whether the connection may carry another request: known only while the parser is at the
        #: message's end (it forgets once it is past it).
        self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = None
        #: No Content-Length and not chunked: the body ends when the backend closes the connection.
        self.until_eof = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        if self.interim:
            return
        framing = {name.lower() for name, _ in self.headers} & {"content-length", "transfer-encoding"}
        self.until_eof = not framing
        if self.method == "HEAD":
            # The parser would wait for the body the Content-Length announces; a HEAD answer has none.
            self.complete = True
            self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    @property
    def interim(self) -> bool:
        status = self.parser.get_status_code() if self.parser is not None else 0
        return 100 <= status < 200 and status != 101

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > self.limit:
            self.error = IntegrationFailure(
                f"{self.backend} answered {self.url} with more than {self.limit} bytes, API Gateway's payload limit"
            )
            raise self.error
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.interim:
            # A 1xx before the answer (103 Early Hints, a 100 Continue): not the answer, which follows.
            self.headers = []
            return
        self.complete = True
        self.until_eof = False
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def ended(self) -> None:
        """The backend closed the connection: the end of a body read until then, else too early."""
        if not self.received:
            raise _Stale
        if self.until_eof:
            self.complete = True
            return
        raise ConnectionResetError("the backend closed the connection before its answer was complete")
