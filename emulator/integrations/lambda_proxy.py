"""``AWS_PROXY``: the full proxy event in, a checked ``{statusCode, headers, body…}`` out."""

from __future__ import annotations

import logging

from emulator.context import RequestContext
from emulator.errors import GatewayError
from emulator.events import build_proxy_event
from emulator.integrations.base import Services, invoke_lambda
from emulator.proxy_response import check_proxy_result
from emulator.response import GatewayResponse

log = logging.getLogger("apig_emu.cors")


class LambdaProxyIntegration:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, ctx: RequestContext) -> GatewayResponse:
        assert ctx.match is not None and ctx.request is not None
        ctx.event = build_proxy_event(ctx.request, ctx.match, ctx.ids)
        invocation = await invoke_lambda(self.services, ctx)
        try:
            response = check_proxy_result(
                invocation.result,
                accept=ctx.request.header("accept"),
                binary_media_types=ctx.match.api.binary_media_types,
            )
        except GatewayError as error:
            invocation.gateway_error = error.reason
            raise
        if ctx.match.method.cors is not None and not response.has_header("Access-Control-Allow-Origin"):
            log.warning(
                "%s %s: CORS is enabled but the proxy handler returned no Access-Control-Allow-Origin; "
                "AWS adds none to proxy responses, so a browser on another origin will reject this one there too",
                ctx.request.method,
                ctx.match.resource.path,
            )
        return response
