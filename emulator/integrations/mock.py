"""``MOCK``: the method answers by itself, so a frontend can be built before its Lambda exists.

On AWS a mock's request template picks an integration response, whose mappings set the status,
headers and body; here the definitions say those three directly. Like every non-proxy method, a
CORS-enabled mock gets ``Access-Control-Allow-Origin`` on its 200 only, and no ``X-Amzn-Trace-Id``
(reference sections 4.3 and 6).
"""

from __future__ import annotations

import asyncio

from emulator.context import RequestContext
from emulator.cors import apply_to_success
from emulator.errors import IntegrationFailure, IntegrationTimeout
from emulator.integrations.base import Services
from emulator.response import GatewayResponse


class MockIntegration:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, ctx: RequestContext) -> GatewayResponse:
        assert ctx.match is not None
        integration = ctx.match.method.integration
        mock = integration.mock
        assert mock is not None
        if mock.latency_ms >= integration.timeout_ms:
            await asyncio.sleep(integration.timeout_ms / 1000)
            raise IntegrationTimeout(
                f"mock {mock.name!r} takes {mock.latency_ms} ms, past the integration timeout of "
                f"{integration.timeout_ms} ms"
            )
        if mock.latency_ms:
            await asyncio.sleep(mock.latency_ms / 1000)
        body = mock.body
        if mock.body_file is not None:
            try:
                body = mock.body_file.read_bytes()
            except OSError as exc:
                raise IntegrationFailure(f"mock {mock.name!r}: cannot read {mock.body_file}: {exc}") from None
        response = GatewayResponse(status=mock.status, headers=list(mock.headers), body=body)
        if ctx.match.method.cors is not None:
            apply_to_success(ctx.match.method.cors, response)
        return response
