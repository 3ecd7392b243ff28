"""The ``OPTIONS`` MOCK method that "Enable CORS" creates: 200, the CORS headers, an empty body."""

from __future__ import annotations

from emulator.context import RequestContext
from emulator.cors import preflight_headers
from emulator.integrations.base import Services
from emulator.response import GatewayResponse


class CorsPreflightIntegration:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, ctx: RequestContext) -> GatewayResponse:
        assert ctx.match is not None and ctx.match.method.cors is not None
        return GatewayResponse(status=200, headers=preflight_headers(ctx.match.method.cors))
