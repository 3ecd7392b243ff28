"""The inspector's pages under ``/_emu``: one HTML page, its script and style, and a small JSON API.

The page arrives with the route table in it (``page.py``), then polls ``api/invocations?after=N``
once a second rather than holding a stream open, so stopping the emulator never waits on an open
inspector tab. The gateway is read from ``app.state.gateway`` on every call and attached to
(idempotently), so the page follows whatever serves.

Calls that change something (replay, clear) must carry ``X-Apig-Emu: 1``, and an ``Origin``, if any,
must be the inspector's own: any web page the developer visits can make a browser send a simple
cross-origin POST to localhost, but not one with a custom header, which needs a CORS preflight that
nothing under ``/_emu`` ever grants. Reads need no such guard: without CORS headers a page on another
origin cannot read the answers.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from emulator.gateway import Gateway
from emulator.inspector.page import render_page
from emulator.inspector.recorder import Recorder, records_json
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


def cross_site_refusal(request: Request) -> Response | None:
    """A 403 for a state-changing call that a page on another origin could have made; ``None`` if fine."""
    origin = request.headers.get("origin")
    own = _base_url(request)
    if request.headers.get(GUARD_HEADER) != "1":
        reason = f"it does not carry {GUARD_HEADER}: 1, which the inspector's page sends"
    elif origin is not None and origin != own:
        reason = f"it comes from a page on {origin}, not from the inspector ({own})"
    else:
        return None
    log.warning(
        "inspector: refused %s %s: %s; a web page on another site may have tried it",
        request.method,
        request.url.path,
        reason,
    )
    return JSONResponse({"message": f"Forbidden: {reason}"}, status_code=403)


def inspector_routes(recorder: Recorder) -> list[BaseRoute]:
    """Routes for ``create_app(gateway, routes=...)``."""

    def gateway_of(request: Request) -> Gateway:
        gateway: Gateway = request.app.state.gateway
        recorder.attach(gateway)
        return gateway

    async def page(request: Request) -> Response:
        gateway = gateway_of(request)
        deployment = gateway.deployment
        body = render_page(route_rows(deployment.definitions, _base_url(request), deployment.notes))
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
        found = route_rows(deployment.definitions, _base_url(request), deployment.notes)
        rows = [asdict(row) for row in found]
        return JSONResponse(rows, headers={"Cache-Control": "no-store"})

    async def invocations(request: Request) -> Response:
        gateway_of(request)
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            after = 0
        body = records_json(recorder.records(after=after))
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def clear(request: Request) -> Response:
        if (refusal := cross_site_refusal(request)) is not None:
            return refusal
        recorder.clear()
        return Response(status_code=204)

    async def replay(request: Request) -> Response:
        if (refusal := cross_site_refusal(request)) is not None:
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
        payload = replayed.shown if replayed is not None else None
        return Response(json.dumps(payload, default=str), media_type="application/json")

    async def to_page(request: Request) -> Response:
        return RedirectResponse(PREFIX + "/", status_code=307)

    return [
        Route(PREFIX, to_page, methods=["GET", "HEAD"]),
        Mount(
            PREFIX,
            routes=[
                Route("/", page, methods=["GET", "HEAD"]),
                Route("/api/routes", routes, methods=["GET"]),
                Route("/api/invocations", invocations, methods=["GET"]),
                Route("/api/invocations", clear, methods=["DELETE"]),
                Route("/api/invocations/{record_id:int}/replay", replay, methods=["POST"]),
                Route("/{name}", asset, methods=["GET", "HEAD"]),
            ],
        ),
    ]
