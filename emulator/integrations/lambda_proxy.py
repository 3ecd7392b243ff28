"""``AWS_PROXY``: the full proxy event in; the function's ``{statusCode, headers, body…}``, checked, out."""

from __future__ import annotations

import asyncio

from emulator.context import RequestContext
from emulator.errors import GatewayError
from emulator.events import build_proxy_event
from emulator.integrations.base import BackendReply, LambdaInvocation
from emulator.proxy_response import check_proxy_result
from emulator.runtime.invoker import Invoker


class LambdaProxyIntegration:
    def __init__(self, invoker: Invoker, background: set[asyncio.Task[None]] | None = None) -> None:
        self.call = LambdaInvocation(invoker, background)

    async def request(self, ctx: RequestContext) -> None:
        assert ctx.request is not None and ctx.match is not None and ctx.variables is not None
        ctx.event = build_proxy_event(ctx.request, ctx.match, ctx.variables, ctx.ids.trace_id)

    async def invoke(self, ctx: RequestContext) -> None:
        assert ctx.request is not None and ctx.match is not None
        result = await self.call(ctx)
        try:
            response = check_proxy_result(
                result,
                accept=ctx.request.header("accept"),
                binary_media_types=ctx.match.api.binary_media_types,
            )
        except GatewayError as error:
            assert ctx.invocation is not None
            ctx.invocation.gateway_error = error.reason
            raise
        ctx.backend = BackendReply(response.status, response.headers, response.body)
