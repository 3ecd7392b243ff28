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
    _EXPIRED = "apig-emu: the integration timeout expired"

    async def within(seconds: float, call: Awaitable[T]) -> T:
        """``asyncio.wait_for`` as one timer that cancels this task.

        3.11's ``wait_for`` runs ``call`` in a task of its own (two loop turns a request), and
        ``asyncio.timeout`` costs 3.8 µs a request against this one's 1.5. As ``asyncio.timeout``
        does, a cancellation from elsewhere wins over the timeout.
        """
        task = asyncio.current_task()
        assert task is not None
        timer = asyncio.get_running_loop().call_later(seconds, task.cancel, _EXPIRED)
        try:
            return await call
        except asyncio.CancelledError as exc:
            if exc.args[:1] == (_EXPIRED,) and task.uncancel() == 0:
                raise asyncio.TimeoutError from None
            raise
        finally:
            timer.cancel()

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
