"""``AWS`` (non-proxy Lambda): the JSON body is the event, the function's result is the body.

Until integration responses exist, every answer is the default 200 response with the payload passed
through, including a function error's object (reference section 3.2).
"""

from __future__ import annotations

import logging

from emulator.context import RequestContext
from emulator.cors import apply_to_success
from emulator.events import build_json_event
from emulator.integrations.base import Services, invoke_lambda
from emulator.integrations.proxy_hint import proxy_hint
from emulator.response import GatewayResponse

log = logging.getLogger("apig_emu.integration")


class LambdaCustomIntegration:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, ctx: RequestContext) -> GatewayResponse:
        assert ctx.match is not None and ctx.request is not None
        ctx.event = build_json_event(ctx.request)
        invocation = await invoke_lambda(self.services, ctx)
        if invocation.result.function_error is not None:
            match = ctx.match
            invocation.hint = proxy_hint(
                invocation.function,
                match.method.http_method,
                match.resource.path,
                ctx.event,
                invocation.error,
            )
            if invocation.hint is not None:
                log.warning("%s %s: %s", ctx.request.method, ctx.request.raw_path, invocation.hint)
        response = GatewayResponse(
            status=200, headers=[("Content-Type", "application/json")], body=invocation.result.payload
        )
        if ctx.match.method.cors is not None:
            apply_to_success(ctx.match.method.cors, response)
        return response
