"""``AWS`` (non-proxy Lambda): the JSON body is the event, the function's result the integration's answer.

Lambda answers 200 whether the function succeeded or failed; a failure's ``errorMessage`` is what the
integration responses' selection patterns are matched against (reference section 3.2).
"""

from __future__ import annotations

from emulator.context import RequestContext
from emulator.events import build_json_event
from emulator.integrations.base import BackendReply, LambdaInvocation
from emulator.runtime.invoker import Invoker


class LambdaCustomIntegration:
    def __init__(self, invoker: Invoker) -> None:
        self.call = LambdaInvocation(invoker)

    async def request(self, ctx: RequestContext) -> None:
        assert ctx.request is not None
        ctx.event = build_json_event(ctx.request)

    async def invoke(self, ctx: RequestContext) -> None:
        result = await self.call(ctx)
        error = result.error
        selector = None if error is None else str(error.get("errorMessage", ""))
        ctx.backend = BackendReply(200, [], result.payload, selector)
