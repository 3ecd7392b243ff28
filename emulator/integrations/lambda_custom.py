"""``AWS`` (non-proxy Lambda): the JSON body is the event, the function's result the integration's answer.

Lambda answers 200 whether the function succeeded or failed; a failure's ``errorMessage`` is what the
integration responses' selection patterns are matched against (reference section 3.2).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from emulator.context import RequestContext
from emulator.errors import BadRequestBody
from emulator.events import json_event
from emulator.integrations.base import BackendReply, LambdaInvocation
from emulator.integrations.proxy_hint import proxy_hint
from emulator.integrations.request_mapping import mapped_request
from emulator.mapping.content_handling import integration_body
from emulator.runtime.invoker import Invoker

log = logging.getLogger("apig_emu.integration")


def non_proxy_event(ctx: RequestContext) -> Any:
    """The function's event: the mapped request (a template's text, or the body as contentHandling left it)
    read as JSON. The testing event factories build theirs here too, so a unit test gets what the server sends.
    """
    assert ctx.request is not None
    text = mapped_request(ctx)
    # A template's text is the payload as a client's body would be: Lambda reads it as JSON.
    try:
        return json_event(integration_body(ctx) if text is None else text.encode())
    except BadRequestBody as error:
        if text is None:
            raise
        raise BadRequestBody(
            f"the request template's text is not JSON, which a Lambda function's event must be: {text[:200]!r}",
            message=error.message,
        ) from None


class LambdaCustomIntegration:
    def __init__(self, invoker: Invoker, background: set[asyncio.Task[None]] | None = None) -> None:
        self.call = LambdaInvocation(invoker, background)

    async def request(self, ctx: RequestContext) -> None:
        ctx.event = non_proxy_event(ctx)

    async def invoke(self, ctx: RequestContext) -> None:
        assert ctx.match is not None and ctx.request is not None
        result = await self.call(ctx)
        error = result.error
        if error is not None:
            assert ctx.invocation is not None
            invocation = ctx.invocation
            invocation.hint = proxy_hint(
                invocation.function, ctx.match.method.http_method, ctx.match.resource.path, ctx.event, error
            )
            if invocation.hint is not None:
                log.warning("%s %s: %s", ctx.request.method, ctx.request.raw_path, invocation.hint)
        selector = None if error is None else str(error.get("errorMessage", ""))
        ctx.backend = BackendReply(200, [], result.payload, selector)
