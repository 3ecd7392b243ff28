"""The ASGI application: the gateway for every path, the emulator's own pages under ``/_emu``.

It is a Starlette application so that the emulator's own endpoints are ordinary Starlette routes;
API traffic bypasses Starlette (its middleware and routing, about 10 µs a request) and goes straight
to the gateway, whose own router knows API Gateway's rules (no slash redirects, no implicit HEAD, 403
on any miss).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from emulator.gateway import Gateway
from emulator.response import GatewayResponse

#: Where the emulator's own pages live (``emulator.inspector.PREFIX``); a stage may not be named so.
OWN_PAGES = "/_emu"


class CasedName(bytes):
    """A header name that keeps its case through a server that lowercases names as it writes them.

    API Gateway sends a handler's header names as given (recorded: ``tesT-Multi``) and its own as
    ``x-amzn-RequestId``; uvicorn's httptools protocol (``RequestResponseCycle.send``) writes
    ``name.lower()`` after comparing it with ``b"content-length"`` and the like. Lowercasing this
    name returns it unchanged, and it compares case-insensitively, as header names do, so uvicorn's
    checks still see ``content-length`` while the wire gets ``Content-Length``.
    ``tests/test_server.py`` pins the uvicorn behaviour this relies on.
    """

    __slots__ = ()

    def lower(self) -> bytes:
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, bytes) and bytes.lower(self) == bytes.lower(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(bytes.lower(self))


def header_name(name: str) -> bytes:
    raw = name.encode("latin-1")
    return raw if raw.islower() else CasedName(raw)


_CONTENT_LENGTH = CasedName(b"Content-Length")


def encode_headers(response: GatewayResponse) -> list[tuple[bytes, bytes]]:
    raw = [(header_name(name), value.encode("utf-8")) for name, value in response.headers]
    raw.append((_CONTENT_LENGTH, str(len(response.body)).encode()))
    return raw


def create_app(gateway: Gateway, *, routes: list[BaseRoute] | None = None) -> Starlette:
    """Wrap a gateway; ``routes`` are the emulator's own pages, mounted under ``/_emu``."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Services that live as long as the server, e.g. hot reload: ``app.state.background``.
        tasks = [asyncio.ensure_future(run(app)) for run in getattr(app.state, "background", ())]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.state.gateway.aclose()
        await app.state.gateway.invoker.aclose()

    app = _App(routes=routes or [], lifespan=lifespan)
    app.router.redirect_slashes = False

    async def gateway_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        # Read on every request: a reload swaps in a new gateway (a new "deployment") atomically.
        response = await app.state.gateway.handle_scope(scope, receive)
        await send(
            {"type": "http.response.start", "status": response.status, "headers": encode_headers(response)}
        )
        body = b"" if scope["method"] == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})

    app.router.default = gateway_endpoint
    app.state.gateway = gateway
    return app


class _App(Starlette):
    """Starlette for the lifespan and the emulator's own pages; API paths go to the gateway at once."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(OWN_PAGES):
            await self.router.default(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)
