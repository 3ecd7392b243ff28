"""The one outgoing HTTP client every integration that calls a URL shares: HTTP, HTTP_PROXY, AWS services.

One pool of connections, as API Gateway keeps its own to a backend, so that a benchmark or a page that
fires many requests does not open a connection for each. The ``Gateway`` owns it and closes it when
it stops (``Gateway.aclose``: ``serve``'s shutdown, the harness, the pytest plugin). It is opened on
first use, inside the event loop that serves requests, because its connections belong to that loop.

What a failed call means to the client is decided here, once for every kind: the integration timeout
is AWS's 504, and a backend that cannot be reached is AWS's 500 (``errors.EndpointUnreachable``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from emulator.errors import EndpointUnreachable, IntegrationFailure, IntegrationTimeout
from emulator.integrations.base import BackendReply, within

#: API Gateway's payload limit applies to what a backend answers too: past it the gateway gives up
#: with a 500 rather than hold an unbounded body in memory.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024


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
    """Sends ``OutboundRequest``s within an integration's timeout and reads the answer into a ``BackendReply``.

    The backend's body is read raw (a gzip body stays gzip, with its ``Content-Encoding``), redirects
    are answers like any other, and the environment's proxy settings and ``.netrc`` are not read: API
    Gateway calls the URL itself, and a ``.netrc`` would add an ``Authorization`` it never sends.
    """

    def __init__(self, *, max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.max_response_bytes = max_response_bytes
        self._client: httpx.AsyncClient | None = None

    async def send(self, request: OutboundRequest, *, timeout_ms: int, backend: str) -> BackendReply:
        """The backend's answer, its status as the ``selector`` integration responses match.

        ``backend`` names the integration in the reasons the log gives (``HTTP integration http://…``).
        """
        try:
            headers = [(name.encode("ascii"), value.encode("utf-8")) for name, value in request.headers]
        except UnicodeEncodeError as exc:
            raise IntegrationFailure(f"{backend}: a header name of the request is not ASCII: {exc}") from None
        # API Gateway frames every call with a Content-Length, an empty GET's ``0`` included (reference A.6).
        headers.append((b"Content-Length", str(len(request.body)).encode()))
        try:
            outgoing = httpx.Request(request.method, request.url, headers=headers, content=request.body)
            port = outgoing.url.port
            if port is not None and not 0 < port < 65536:
                # httpx lets it through; the socket's OverflowError would escape as an emulator fault.
                raise ValueError(f"port {port} is out of range")
        except (httpx.InvalidURL, UnicodeEncodeError, ValueError) as exc:
            raise EndpointUnreachable(
                f"{backend}: the URL {request.url!r} is not a valid endpoint: {exc}"
            ) from None
        try:
            return await within(timeout_ms / 1000, self._exchange(outgoing, backend))
        except asyncio.TimeoutError:
            raise IntegrationTimeout(
                f"{backend} did not answer {request.method} {request.url} within the integration timeout of "
                f"{timeout_ms} ms"
            ) from None
        except httpx.LocalProtocolError as exc:
            raise IntegrationFailure(
                f"{backend}: the request to {request.url} cannot be sent: {exc}"
            ) from None
        except httpx.HTTPError as exc:
            raise EndpointUnreachable(
                f"{backend}: {request.method} {request.url} failed: {_describe(exc)}"
            ) from None

    async def _exchange(self, outgoing: httpx.Request, backend: str) -> BackendReply:
        client = self._client
        if client is None:
            client = self._client = httpx.AsyncClient(timeout=None, follow_redirects=False, trust_env=False)
        response = await client.send(outgoing, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise IntegrationFailure(
                        f"{backend} answered {outgoing.url} with more than {self.max_response_bytes} bytes, "
                        "API Gateway's payload limit"
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers.raw]
        status = response.status_code
        return BackendReply(status, headers, b"".join(chunks), selector=str(status))

    async def aclose(self) -> None:
        """Close every pooled connection; a later call opens a new pool."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def _describe(error: httpx.HTTPError) -> str:
    """The failure in a developer's words: ``ConnectError: [Errno 111] Connection refused``."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
