"""What every integration shares: its signature and the Lambda invocation step."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from emulator.context import RequestContext
from emulator.errors import IntegrationTimeout, Throttled
from emulator.invocations import Invocation, Trigger
from emulator.logs import log_invocation as log_invocation
from emulator.model import Definitions, Function
from emulator.response import GatewayResponse
from emulator.runtime.invoker import Invoker
from emulator.runtime.lambda_context import function_arn
from emulator.runtime.outcomes import TooManyRequests
from emulator.runtime.result import InvocationResult

T = TypeVar("T")

if sys.version_info >= (3, 11):

    async def within(seconds: float, call: Awaitable[T]) -> T:
        """``asyncio.wait_for``, minus the task that 3.11's runs ``call`` in (two loop turns per request)."""
        async with asyncio.timeout(seconds):
            return await call

else:

    async def within(seconds: float, call: Awaitable[T]) -> T:
        return await asyncio.wait_for(call, seconds)


class IntegrationHandler(Protocol):
    async def __call__(self, ctx: RequestContext) -> GatewayResponse: ...


@dataclass
class Services:
    """What integrations need from the gateway, handed over once at start-up."""

    definitions: Definitions
    invoker: Invoker
    #: Called with each finished invocation (recording, inspector, log).
    listeners: list[Callable[[Invocation], None]] = field(default_factory=list)


async def invoke_lambda(services: Services, ctx: RequestContext) -> Invocation:
    """Invoke the method's function with ``ctx.event`` within the integration's own timeout."""
    assert ctx.match is not None
    method = ctx.match.method
    function = services.definitions.functions[method.integration.function or ""]
    call = services.invoker.invoke(function, ctx.event, trace_id=ctx.ids.trace_id)
    try:
        result = await within(method.integration.timeout_ms / 1000, call)
    except TooManyRequests as exc:
        raise Throttled(
            f"function {function.name!r} was throttled (TooManyRequestsException): {exc}"
        ) from None
    except asyncio.TimeoutError:
        error = IntegrationTimeout(
            f"function {function.name!r} did not answer within the integration timeout of "
            f"{method.integration.timeout_ms} ms"
        )
        # Recorded all the same, so a test or the inspector sees which call the gateway gave up on.
        _record(ctx, function, InvocationResult(payload=b"", detail=f"{error.reason}; the function ran on"))
        raise error from None
    log_invocation(function, result)
    return _record(ctx, function, result)


def _record(ctx: RequestContext, function: Function, result: InvocationResult) -> Invocation:
    assert ctx.match is not None
    method = ctx.match.method
    ctx.invocation = Invocation(
        function=function.name,
        trigger=Trigger(
            ctx.match.api.name, ctx.match.resource.path, method.http_method, ctx.match.stage.name
        ),
        request_id=ctx.ids.request_id,
        event=ctx.event,
        context=_context_values(function, result),
        result=result,
    )
    return ctx.invocation


def _context_values(function: Function, result: InvocationResult) -> dict[str, Any]:
    return {
        "aws_request_id": result.aws_request_id,
        "function_name": function.name,
        "function_version": "$LATEST",
        "invoked_function_arn": function_arn(function),
        "memory_limit_in_mb": str(function.memory),
        "log_group_name": f"/aws/lambda/{function.name}",
        "timeout": function.timeout,
    }
