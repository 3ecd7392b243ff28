"""The one place where the gateway's own errors become responses.

AWS renders these from per-API gateway responses (``DEFAULT_4XX``, ``MISSING_AUTHENTICATION_TOKEN``…);
the defaults carry ``Content-Type: application/json``, ``x-amzn-ErrorType`` and the message, and no
CORS headers at all (reference sections 4 and 6).
"""

from __future__ import annotations

from emulator.errors import GatewayError
from emulator.response import GatewayResponse


def error_response(error: GatewayError) -> GatewayResponse:
    return GatewayResponse(
        status=error.status,
        headers=[("Content-Type", "application/json"), ("x-amzn-ErrorType", error.error_type)],
        body=error.body(),
    )
