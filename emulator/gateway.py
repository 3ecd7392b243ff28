"""The request's whole life on one screen.

    parse → route → authorize → integration (build event → invoke → check response → CORS) → reply

Each step is a small function or object in a module of its own; any of them may raise a
``GatewayError``, which ``gateway_responses`` turns into AWS's answer in exactly one place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from emulator import ids
from emulator.context import RequestContext
from emulator.cors import add_preflight_methods
from emulator.errors import GatewayError, IntegrationFailure
from emulator.events import RequestIds
from emulator.exchanges import Exchange
from emulator.gateway_responses import ErrorScope, error_response
from emulator.integrations import REGISTRY, IntegrationHandler, Services
from emulator.invocations import Invocation
from emulator.logs import log_access
from emulator.model import Definitions
from emulator.request import GatewayRequest, Receive, headers_from_scope, request_from_scope
from emulator.response import GatewayResponse
from emulator.routing import Router
from emulator.runtime.invoker import Invoker

error_log = logging.getLogger("apig_emu.gateway")

#: Integrations whose successful responses carry ``X-Amzn-Trace-Id`` (not MOCK, reference 4.3).
_TRACED = frozenset({"AWS", "AWS_PROXY"})


def new_ids() -> RequestIds:
    now = time.time()
    return RequestIds(
        request_id=ids.request_id(),
        extended_request_id=ids.extended_request_id(),
        trace_id=ids.trace_id(int(now)),
        epoch_ms=int(now * 1000),
    )


def authorize(ctx: RequestContext) -> None:
    """The chain's slot for API keys and Lambda, Cognito and IAM authorizers; every method is open today."""


class Gateway:
    def __init__(self, definitions: Definitions, *, invoker: Invoker) -> None:
        for api in definitions.apis.values():
            add_preflight_methods(api)
        self.definitions = definitions
        self.router = Router(definitions)
        self.services = Services(definitions=definitions, invoker=invoker)
        self.integrations: dict[str, IntegrationHandler] = {
            kind: factory(self.services) for kind, factory in REGISTRY.items()
        }
        #: Called with every answered request, including those no function saw (the inspector).
        self.exchange_listeners: list[Callable[[Exchange], None]] = []

    @property
    def invoker(self) -> Invoker:
        return self.services.invoker

    def add_listener(self, listener: Callable[[Invocation], None]) -> None:
        self.services.listeners.append(listener)

    def add_exchange_listener(self, listener: Callable[[Exchange], None]) -> None:
        self.exchange_listeners.append(listener)

    async def handle_scope(self, scope: Mapping[str, Any], receive: Receive) -> GatewayResponse:
        ctx = RequestContext(ids=new_ids())
        try:
            ctx.request = await request_from_scope(scope, receive)
        except GatewayError as error:
            # Headers without the body, so the API's gateway responses can still read them.
            ctx.request = GatewayRequest(
                method=scope["method"],
                raw_path=scope["path"],
                query_string=scope.get("query_string", b"").decode("latin-1"),
                headers=headers_from_scope(scope),
            )
            return self._finish(
                ctx, self._error(ctx, error), time.perf_counter(), scope["method"], scope["path"]
            )
        return await self.handle(ctx.request, ctx)

    async def handle(self, request: GatewayRequest, ctx: RequestContext | None = None) -> GatewayResponse:
        started = time.perf_counter()
        ctx = ctx or RequestContext(ids=new_ids())
        ctx.request = request
        try:
            ctx.match = self.router.match(request.method, request.raw_path, request.host)
            authorize(ctx)
            integration = self.integrations[ctx.match.method.integration.kind]
            response = await integration(ctx)
            if ctx.match.method.integration.kind in _TRACED:
                response.headers.append(("X-Amzn-Trace-Id", ctx.ids.trace_id))
        except GatewayError as error:
            response = self._error(ctx, error)
        except Exception as exc:
            # A fault of the emulator itself: answer as AWS does for an internal failure, keep serving.
            error_log.exception("internal error while handling %s %s", request.method, request.raw_path)
            response = self._error(ctx, IntegrationFailure(f"emulator fault: {exc!r}"))
        if ctx.invocation is not None:
            for listener in self.services.listeners:
                listener(ctx.invocation)
        return self._finish(ctx, response, started, request.method, request.raw_path)

    def _error(self, ctx: RequestContext, error: GatewayError) -> GatewayResponse:
        where = f"{ctx.request.method} {ctx.request.raw_path}" if ctx.request else "request"
        level = logging.INFO if error.status in (403, 404) else logging.WARNING
        error_log.log(
            level, "%s -> %s: %s (request %s)", where, error.status, error.reason, ctx.ids.request_id
        )
        if ctx.invocation is not None and ctx.invocation.gateway_error is None:
            ctx.invocation.gateway_error = error.reason
        # Kept on ctx for the inspector, the error must not keep its traceback: its frames hold ctx, a
        # cycle that only the garbage collector would free, for every 403.
        ctx.error = error.with_traceback(None)
        return error_response(error, self._error_scope(ctx))

    def _error_scope(self, ctx: RequestContext) -> ErrorScope:
        """Where the error happened, for the API's gateway responses: the route if found, else the API addressed."""
        if ctx.match is not None:
            match = ctx.match
            return ErrorScope(
                ctx.ids,
                ctx.request,
                match.api,
                match.stage,
                match.resource.path,
                match.resource.id,
                match.path_parameters,
            )
        if ctx.request is None:
            return ErrorScope(ctx.ids)
        addressed = self.router.addressed_api(ctx.request.raw_path, ctx.request.host)
        if addressed is None:
            return ErrorScope(ctx.ids, ctx.request)
        return ErrorScope(ctx.ids, ctx.request, addressed[0], addressed[1])

    def _finish(
        self, ctx: RequestContext, response: GatewayResponse, started: float, method: str, path: str
    ) -> GatewayResponse:
        response.headers.append(("x-amzn-RequestId", ctx.ids.request_id))
        response.headers.append(("x-amz-apigw-id", ctx.ids.extended_request_id))
        log_access(method, path, response.status, (time.perf_counter() - started) * 1000, ctx.ids.request_id)
        if self.exchange_listeners:
            exchange = Exchange(
                ids=ctx.ids,
                request=ctx.request,
                response=response,
                duration_ms=(time.perf_counter() - started) * 1000,
                match=ctx.match,
                event=ctx.event,
                invocation=ctx.invocation,
                error=ctx.error,
            )
            for listener in self.exchange_listeners:
                try:
                    listener(exchange)
                except Exception:
                    error_log.exception("exchange listener %r failed", listener)
        return response
