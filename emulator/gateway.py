"""The request's whole life on one screen: parse, then the chain of steps, then the reply.

    parse → trace → route → authorize → method request → integration request → invoke
          → integration response → method response → reply

Each step is a function of the request's context (``emulator.context``) in a module of its own; the
chain is the list below, so a new step is one more entry. ``authorize`` (``emulator.auth.step``) runs
each method's throttle, authorization, resource policy and API key before ``method_request`` validates,
as AWS authorizes before it validates. Any step may raise a ``GatewayError``, which ``gateway_responses``
turns into AWS's answer in exactly one place. Every answer is published once on the bus (log, recorder,
inspector).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from emulator import ids
from emulator.auth.api_keys import UsagePlans
from emulator.auth.lambda_authorizer import LambdaAuthorizers
from emulator.auth.step import authorize
from emulator.bus import Bus, Listener
from emulator.clock import Clock, SystemClock
from emulator.context import RequestContext, build_variables
from emulator.deployment import Deployment
from emulator.errors import GatewayError, IntegrationFailure
from emulator.events import RequestIds
from emulator.exchanges import Exchange
from emulator.gateway_responses import ErrorScope, error_response
from emulator.integration_response import integration_response
from emulator.integrations import Backends, Integrations
from emulator.logs import log_exchange
from emulator.method_request import method_request
from emulator.method_response import method_response
from emulator.request import GatewayRequest, Receive, headers_from_scope, request_from_scope
from emulator.response import GatewayResponse
from emulator.runtime.invoker import Invoker

error_log = logging.getLogger("apig_emu.gateway")

Step = Callable[[RequestContext], Awaitable[None]]


def new_ids(now: float | None = None) -> RequestIds:
    """Fresh ids for a request arriving at ``now`` (epoch seconds, the gateway's clock; the wall clock if omitted)."""
    now = time.time() if now is None else now
    return RequestIds(
        request_id=ids.request_id(),
        extended_request_id=ids.extended_request_id(),
        trace_id=ids.trace_id(int(now)),
        epoch_ms=int(now * 1000),
    )


async def trace(ctx: RequestContext) -> None:
    """X-Ray: the request's trace continues the client's, as on AWS (``ids.continue_trace``)."""
    assert ctx.request is not None
    ctx.ids.trace_id = ids.continue_trace(ctx.request.header("x-amzn-trace-id"), ctx.ids.trace_id)


async def route(ctx: RequestContext) -> None:
    """Find API, stage, resource and method (``emulator.routing``); ``$context`` is known from here on."""
    request = ctx.request
    assert request is not None
    ctx.match = ctx.deployment.router.match(request.method, request.raw_path, request.host)
    ctx.variables = build_variables(ctx.ids, request, ctx.match)


def build_chain(integrations: Integrations) -> tuple[Step, ...]:
    return (
        trace,
        route,
        authorize,
        method_request,
        integrations.request,
        integrations.invoke,
        integration_response,
        method_response,
    )


class Gateway:
    """Serves a deployment; ``deployment`` may be swapped at any time (a reload), requests keep theirs."""

    def __init__(
        self,
        deployment: Deployment,
        *,
        invoker: Invoker,
        bus: Bus | None = None,
        log: Listener = log_exchange,
        clock: Clock | None = None,
    ) -> None:
        """``log`` writes each exchange's log lines: records by default, ``serve``'s own writer there.

        ``clock`` is the time throttles, quotas and request times read: a test's ``ManualClock``, or real time.
        """
        self.deployment = deployment
        self.invoker = invoker
        self.bus = bus or Bus()
        self.bus.subscribe(log)
        self.clock: Clock = clock if clock is not None else SystemClock()
        #: Its counters outlive a reload, as AWS's outlive a redeployment.
        self.usage_plans = UsagePlans(self.clock)
        #: Their cached answers start afresh with each deployment.
        self.lambda_authorizers = LambdaAuthorizers(invoker, self.clock)
        self.backends = Backends(invoker)
        self.chain = build_chain(Integrations(self.backends))

    async def aclose(self) -> None:
        """Release what the gateway holds between requests (the HTTP client's connections); not the invoker,
        which whoever made it closes."""
        await self.backends.aclose()

    def _context(self) -> RequestContext:
        return RequestContext(
            new_ids(self.clock.now()),
            self.deployment,
            usage_plans=self.usage_plans,
            lambda_authorizers=self.lambda_authorizers,
        )

    async def handle_scope(self, scope: Mapping[str, Any], receive: Receive) -> GatewayResponse:
        ctx = self._context()
        started = time.perf_counter()
        try:
            request = await request_from_scope(scope, receive)
        except GatewayError as error:
            # Headers without the body, so the API's gateway responses can still read them.
            ctx.request = GatewayRequest(
                method=scope["method"],
                raw_path=scope["path"],
                query_string=scope.get("query_string", b"").decode("latin-1"),
                headers=headers_from_scope(scope),
            )
            return self._finish(ctx, self._error(ctx, error), started)
        return await self.handle(request, ctx, started)

    async def handle(
        self, request: GatewayRequest, ctx: RequestContext | None = None, started: float | None = None
    ) -> GatewayResponse:
        started = time.perf_counter() if started is None else started
        ctx = ctx or self._context()
        ctx.request = request
        try:
            for step in self.chain:
                await step(ctx)
            assert ctx.response is not None
            response = ctx.response
        except GatewayError as error:
            response = self._error(ctx, error)
        except Exception as exc:
            # A fault of the emulator itself: answer as AWS does for an internal failure, keep serving.
            error_log.exception("internal error while handling %s %s", request.method, request.raw_path)
            response = self._error(ctx, IntegrationFailure(f"emulator fault: {exc!r}"))
        return self._finish(ctx, response, started)

    def _error(self, ctx: RequestContext, error: GatewayError) -> GatewayResponse:
        request = ctx.request
        where = f"{request.method} {request.raw_path}" if request else "request"
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
        match = ctx.match
        if match is not None:
            assert ctx.variables is not None
            return ErrorScope(ctx.variables, ctx.request, match.api, match.stage, match.path_parameters)
        request = ctx.request
        addressed = (
            ctx.deployment.router.addressed_api(request.raw_path, request.host)
            if request is not None
            else None
        )
        api, stage = addressed if addressed is not None else (None, None)
        variables = build_variables(ctx.ids, request, None, api=api, stage=stage)
        return ErrorScope(variables, request, api, stage)

    def _finish(self, ctx: RequestContext, response: GatewayResponse, started: float) -> GatewayResponse:
        response.headers.append(("x-amzn-RequestId", ctx.ids.request_id))
        response.headers.append(("x-amz-apigw-id", ctx.ids.extended_request_id))
        self.bus.publish(
            Exchange(
                ids=ctx.ids,
                request=ctx.request,
                response=response,
                duration_ms=(time.perf_counter() - started) * 1000,
                match=ctx.match,
                event=ctx.event,
                function=ctx.function,
                invocation=ctx.invocation,
                error=ctx.error,
                outbound=ctx.outbound,
                backend=ctx.backend if ctx.outbound is not None else None,
                authorizer_function=ctx.authorizer_function,
                authorizer_invocation=ctx.authorizer_invocation,
                authorization=ctx.authorization,
            )
        )
        return response
