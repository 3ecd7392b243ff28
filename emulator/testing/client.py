"""An in-process HTTP client over the emulator's ASGI app: no socket, the real request path.

It is an ``httpx.Client`` (``get``, ``post(json=...)``, ``headers``…) whose transport calls the app on
an event loop running in a background thread, as Starlette's TestClient does, but hands the app the
header names in the case they were written: API Gateway's events preserve it.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Any, TypeVar

import anyio.from_thread
import httpx

from emulator.request import RAW_HEADER_NAMES

Scope = dict[str, Any]
T = TypeVar("T")

#: Where the in-process client pretends to send requests: ``apig-emu serve``'s default address.
DEFAULT_BASE_URL = "http://localhost:3000"
#: The client address the gateway sees (``sourceIp``, ``X-Forwarded-For``).
DEFAULT_CLIENT = ("127.0.0.1", 50000)


#: A request extension naming the client address of one request (``Harness.get(url, client_ip=...)``).
CLIENT_IP_EXTENSION = "apig_emu.client_ip"


def new_http_client(base_url: str = DEFAULT_BASE_URL, **options: Any) -> httpx.Client:
    """An ``httpx.Client`` with the defaults every in-process request gets, so events built apart match.

    ``trust_env`` is off: a ``.netrc`` entry or a proxy variable must not add headers to, or divert,
    requests that never leave the process.
    """
    return httpx.Client(base_url=base_url, trust_env=False, **options)


def asgi_scope(request: httpx.Request, client: tuple[str, int] = DEFAULT_CLIENT) -> Scope:
    """The ASGI scope a server would build for ``request``, keeping header names as written."""
    raw_path, _, query = request.url.raw_path.partition(b"?")
    raw_headers = list(request.headers.raw)
    if not any(name.lower() == b"host" for name, _ in raw_headers):
        raw_headers.insert(0, (b"Host", request.url.netloc))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.url.scheme,
        "path": request.url.path,
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in raw_headers],
        "client": client,
        "server": (request.url.host, request.url.port or 80),
        "extensions": {RAW_HEADER_NAMES: [name for name, _ in raw_headers]},
    }


class GatewayResponseView(httpx.Response):
    """``httpx.Response`` with ``status`` as a short name for ``status_code``."""

    @property
    def status(self) -> int:
        return self.status_code


class LoopCaller:
    """Runs coroutines on a portal's event loop from another thread, one round trip each.

    ``BlockingPortal.call`` takes two: it waits for the loop to spawn the task in the portal's task
    group, then for the task's result. A request in a test waited on both, each a wake-up of the
    loop's thread and then of the caller's. Here the coroutine goes to the loop as a task and the
    caller waits once. Nothing else changes: the same loop runs it, its exceptions reach the caller.
    """

    def __init__(self, portal: anyio.from_thread.BlockingPortal) -> None:
        self.portal = portal
        self._loop, self._thread = portal.call(_running_loop)

    @classmethod
    def of(cls, portal: anyio.from_thread.BlockingPortal) -> LoopCaller:
        """The portal's caller, made on first use: a test's harness reuses its session's."""
        caller = _CALLERS.get(portal)
        if caller is None:
            caller = _CALLERS[portal] = cls(portal)
        return caller

    def __call__(self, function: Callable[..., Awaitable[T]], *args: Any) -> T:
        if threading.get_ident() == self._thread:
            raise RuntimeError("this would wait for the event loop from its own thread, forever")
        if not self._loop.is_running():
            raise RuntimeError("the event loop of this client's portal has stopped")
        return asyncio.run_coroutine_threadsafe(_awaited(function, *args), self._loop).result()


def _running_loop() -> tuple[asyncio.AbstractEventLoop, int]:
    return asyncio.get_running_loop(), threading.get_ident()


_CALLERS: weakref.WeakKeyDictionary[anyio.from_thread.BlockingPortal, LoopCaller] = (
    weakref.WeakKeyDictionary()
)


async def _awaited(function: Callable[..., Awaitable[T]], *args: Any) -> T:
    return await function(*args)


class _AsgiTransport(httpx.BaseTransport):
    def __init__(self, app: Any, portal: anyio.from_thread.BlockingPortal, client: tuple[str, int]) -> None:
        self.app = app
        self.portal = portal
        self.client = client
        self._call = LoopCaller.of(portal)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        address = request.extensions.get(CLIENT_IP_EXTENSION)
        scope = asgi_scope(request, (address, self.client[1]) if address else self.client)
        body = request.read()
        status, headers, chunks = self._call(self._call_app, scope, body)
        # A stream, not ``content=``: the client reads and closes it, which sets ``elapsed`` as for a socket.
        stream = httpx.ByteStream(b"".join(chunks))
        return GatewayResponseView(status, headers=headers, stream=stream, request=request)

    async def _call_app(
        self, scope: Scope, body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], list[bytes]]:
        sent = False
        result: dict[str, Any] = {"status": 500, "headers": []}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                result["status"] = message["status"]
                result["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return result["status"], result["headers"], chunks


class GatewayClient(httpx.Client):
    """A client for an ASGI app, usable as a context manager; ``close()`` stops its event loop.

    ``portal`` runs the app on an event loop that already exists (which the client then does not
    stop): the test harness shares one between its clients and its socket server, because a
    process-isolated invoker's workers belong to the loop that started them.
    """

    def __init__(
        self,
        app: Any,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client_ip: str = DEFAULT_CLIENT[0],
        portal: anyio.from_thread.BlockingPortal | None = None,
    ) -> None:
        self._stack = ExitStack()
        if portal is None:
            portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] = (
                anyio.from_thread.start_blocking_portal()
            )
            portal = self._stack.enter_context(portal_cm)
        self.portal = portal
        self.app = app
        transport = _AsgiTransport(app, self.portal, (client_ip, DEFAULT_CLIENT[1]))
        super().__init__(transport=transport, base_url=base_url, trust_env=False)

    def run(self, coroutine_function: Any, *args: Any) -> Any:
        """Run an async function on the client's event loop (e.g. to close an invoker)."""
        return self.portal.call(coroutine_function, *args)

    def close(self) -> None:
        super().close()
        self._stack.close()
