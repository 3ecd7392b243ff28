"""The chain's method response step: what the gateway adds to every response a method produced."""

from __future__ import annotations

import logging

from emulator.context import RequestContext
from emulator.cors import ALLOW_ORIGIN, is_preflight
from emulator.model import AWS, AWS_PROXY, HTTP

log = logging.getLogger("apig_emu.cors")

#: Integrations whose responses carry ``X-Amzn-Trace-Id`` (not MOCK nor HTTP_PROXY, reference 4.3).
_TRACED = frozenset({AWS, AWS_PROXY, HTTP})


async def method_response(ctx: RequestContext) -> None:
    assert ctx.match is not None and ctx.response is not None and ctx.request is not None
    method = ctx.match.method
    response = ctx.response
    if method.integration.type in _TRACED:
        response.headers.append(("X-Amzn-Trace-Id", ctx.ids.trace_id))
    if method.is_proxy:
        preflight = ctx.match.resource.methods.get("OPTIONS")
        if (
            preflight is not None
            and is_preflight(preflight)
            and not response.has_header(ALLOW_ORIGIN)
            and ctx.deployment.advise_once(
                f"cors {ctx.match.api.id} {ctx.match.resource.path} {method.http_method}"
            )
        ):
            log.warning(
                "%s %s: CORS is enabled but the proxy integration returned no Access-Control-Allow-Origin; "
                "AWS adds none to proxy responses, so a browser on another origin will reject this one there too "
                "(said once per method until the next deployment)",
                ctx.request.method,
                ctx.match.resource.path,
            )
