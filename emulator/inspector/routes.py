"""The inspector's pages under ``/_emu``: one HTML page, its script and style, and a small JSON API.

The page arrives with the route table in it (``page.py``), then polls ``api/invocations?after=N``
once a second rather than holding a stream open, so stopping the emulator never waits on an open
inspector tab. The gateway is read from ``app.state.gateway`` on every call and attached to
(idempotently), so the page follows whatever serves.

Everything under ``/_emu`` answers only to the ``Host`` names in ``hosts.py`` (DNS rebinding). Calls
that change something (replay, clear) must also carry ``X-Apig-Emu: 1``, and an ``Origin``, if any,
must be the inspector's own: any web page the developer visits can make a browser send a simple
cross-origin POST to localhost, but not one with a custom header, which needs a CORS preflight that
nothing under ``/_emu`` ever grants. Reads need no such guard: without CORS headers a page on another
origin cannot read the answers.

``api/invocations`` pages its answer (``?after=ID&before=ID&limit=N``, newest first), and says where
the next page is in a ``Link`` header (``rel="next"``), as GitHub's API does; the body stays the list
it always was.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from emulator.gateway import Gateway
from emulator.inspector.hosts import AllowedHosts
from emulator.inspector.page import render_page
from emulator.inspector.recorder import Recorder
from emulator.inspector.truncation import cut_text
from emulator.table import route_rows

log = logging.getLogger("apig_emu.inspector")

PREFIX = "/_emu"
#: Sent by the inspector's page (and by scripts) with every call that changes something; see above.
GUARD_HEADER = "X-Apig-Emu"
#: Files served as they are; ``index.html`` is a template, served by ``page`` with the routes in it.
_ASSETS = {
    "inspector.js": "text/javascript; charset=utf-8",
    "inspector.css": "text/css; charset=utf-8",
}
#: ``api/invocations``'s page: records by default and at most, and about how many bytes of JSON.
DEFAULT_PAGE = 50
MAX_PAGE = 200
PAGE_BYTES = 4 * 1024 * 1024
#: Distinct refused ``Host`` names logged; a rebinding page polls, and the log should not repeat it.
_HOSTS_LOGGED = 32
#: The page is the emulator's own; it must not be framed or load anything from elsewhere.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def _asset(name: str) -> Response:
    body = resources.files("emulator.inspector").joinpath(name).read_bytes()
    return Response(body, media_type=_ASSETS[name], headers=_PAGE_HEADERS)


def _base_url(request: Request) -> str:
    """The emulator's URL as the browser reached it, so the table's URLs are the ones to click."""
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def cross_site_refusal(request: Request, allowed: AllowedHosts) -> Response | None:
    """A 403 for a state-changing call that a page on another origin could have made; ``None`` if fine.

    The ``Origin`` is checked against the names the inspector answers to, not against the request's
    own ``Host``: a page that rebinds its name to 127.0.0.1 sends both as its own.
    """
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if request.headers.get(GUARD_HEADER) != "1":
        reason = f"it does not carry {GUARD_HEADER}: 1, which the inspector's page sends"
    elif origin is not None and not allowed.allows_origin(origin, host):
        reason = (
            f"it comes from a page on {cut_text(origin, 200)}, not from the inspector ({_base_url(request)})"
        )
    else:
        return None
    log.warning(
        "inspector: refused %s %s: %s; a web page on another site may have tried it",
        request.method,
        request.url.path,
        reason,
    )
    return JSONResponse({"message": f"Forbidden: {reason}"}, status_code=403)


class HostGuard:
    """Answers a request for the inspector whose ``Host`` is not allowed with a 403 and nothing else.

    A 403 rather than 421 Misdirected Request: the request did reach the server it named, whose API
    paths answer that name; it is the inspector that refuses it. The answer holds no recorded data,
    only what to do if the name was the developer's own.
    """

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], allowed: AllowedHosts, logged: set[str]
    ) -> None:
        self.app = app
        self.allowed = allowed
        #: Refused names already logged, shared by the guards of one inspector.
        self._logged = logged

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hosts = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"host"]
        refused = next((host for host in hosts if not self.allowed.allows(host)), None)
        if scope["type"] != "http" or refused is None:
            await self.app(scope, receive, send)
            return
        await self.refusal(refused)(scope, receive, send)

    def refusal(self, host: str) -> Response:
        shown = cut_text(host, 200)
        if len(self._logged) < _HOSTS_LOGGED and shown not in self._logged:
            self._logged.add(shown)
            log.warning(
                "inspector: refused a request for Host %r: not localhost, a loopback address or a name "
                "given with --host or --allowed-host (a web page may be trying DNS rebinding)",
                shown,
            )
        return PlainTextResponse(
            f"Forbidden: the apig-emu inspector answers only to localhost, loopback addresses and the "
            f"names given with --host or --allowed-host, not to Host {shown!r}. If you opened it under "
            f"that name yourself, start apig-emu serve with --allowed-host NAME.\n",
            status_code=403,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )


def _page_query(request: Request) -> tuple[int, int | None, int] | str:
    """``after``, ``before`` and ``limit`` from the query, or what is wrong with them."""
    values: dict[str, int] = {}
    for name in ("after", "before", "limit"):
        raw = request.query_params.get(name)
        if raw is None:
            continue
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            return f"{name} must be a whole number, not {cut_text(raw, 40)!r}"
        values[name] = int(raw)
    limit = values.get("limit", DEFAULT_PAGE)
    if limit < 1:
        return "limit must be at least 1"
    return values.get("after", 0), values.get("before"), min(limit, MAX_PAGE)


def inspector_routes(recorder: Recorder, allowed: AllowedHosts | None = None) -> list[BaseRoute]:
    """Routes for ``create_app(gateway, routes=...)``; ``allowed``: the names it answers to besides
    the local ones (``serve``'s ``--host`` and ``--allowed-host``).
    """
    allowed = allowed if allowed is not None else AllowedHosts()
    logged: set[str] = set()

    def gateway_of(request: Request) -> Gateway:
        gateway: Gateway = request.app.state.gateway
        recorder.attach(gateway)
        return gateway

    async def page(request: Request) -> Response:
        gateway = gateway_of(request)
        deployment = gateway.deployment
        body = render_page(
            route_rows(
                deployment.definitions,
                _base_url(request),
                deployment.notes,
                stage_prefix=deployment.stage_prefix,
            )
        )
        return Response(body, media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "index.html":
            return await page(request)
        if name not in _ASSETS:
            return Response("Not Found", status_code=404, media_type="text/plain")
        return _asset(name)

    async def routes(request: Request) -> Response:
        gateway = gateway_of(request)
        deployment = gateway.deployment
        found = route_rows(
            deployment.definitions, _base_url(request), deployment.notes, stage_prefix=deployment.stage_prefix
        )
        rows = [asdict(row) for row in found]
        return JSONResponse(rows, headers={"Cache-Control": "no-store"})

    async def invocations(request: Request) -> Response:
        gateway_of(request)
        query = _page_query(request)
        if isinstance(query, str):
            return JSONResponse({"message": f"Bad request: {query}"}, status_code=400)
        after, before, limit = query
        found = recorder.page(after=after, before=before, limit=limit, max_bytes=PAGE_BYTES)
        headers = {"Cache-Control": "no-store"}
        if found.more_before is not None:
            headers["Link"] = (
                f'<{PREFIX}/api/invocations?after={after}&before={found.more_before}&limit={limit}>; rel="next"'
            )
        return Response(found.json(), media_type="application/json", headers=headers)

    async def clear(request: Request) -> Response:
        if (refusal := cross_site_refusal(request, allowed)) is not None:
            return refusal
        recorder.clear()
        return Response(status_code=204)

    async def replay(request: Request) -> Response:
        if (refusal := cross_site_refusal(request, allowed)) is not None:
            return refusal
        gateway = gateway_of(request)
        record = recorder.get(request.path_params["record_id"])
        if record is None:
            return JSONResponse(
                {"message": "no such invocation (it may have left the buffer)"}, status_code=404
            )
        if record.request is None:
            return JSONResponse({"message": "this request's body was too large to keep for replay"}, 409)
        await recorder.replay(gateway, record)
        replayed = next((r for r in recorder.records(after=record.id) if r.replay_of == record.id), None)
        body = recorder.json_text(replayed) if replayed is not None else "null"
        return Response(body, media_type="application/json")

    pages = Router(
        routes=[
            Route("/", page, methods=["GET", "HEAD"]),
            Route("/api/routes", routes, methods=["GET"]),
            Route("/api/invocations", invocations, methods=["GET"]),
            Route("/api/invocations", clear, methods=["DELETE"]),
            Route("/api/invocations/{record_id:int}/replay", replay, methods=["POST"]),
            Route("/{name}", asset, methods=["GET", "HEAD"]),
        ]
    )
    to_page = RedirectResponse(PREFIX + "/", status_code=307)
    return [
        Route(PREFIX, HostGuard(to_page, allowed, logged), methods=["GET", "HEAD"]),
        Mount(PREFIX, app=HostGuard(pages, allowed, logged)),
    ]
