"""What every integration shares: its signature and the Lambda invocation step."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from emulator.context import RequestContext
from emulator.errors import IntegrationTimeout
from emulator.invocations import Invocation, Trigger
from emulator.model import Definitions, Function
from emulator.response import GatewayResponse
from emulator.runtime.invoker import Invoker
from emulator.runtime.lambda_context import function_arn
from emulator.runtime.result import InvocationResult

lambda_log = logging.getLogger("apig_emu.lambda")


class IntegrationHandler(Protocol):
    async def __call__(self, ctx: RequestContext) -> GatewayResponse: ...


@dataclass
class Services:
    """What integrations need from the gateway, handed over once at start-up."""

    definitions: Definitions
    invoker: Invoker
    #: Called with each finished invocation (recording, inspector, log).
    listeners: list[Callable[[Invocation], None]] = field(default_factory=list)


def log_invocation(function: Function, result: InvocationResult) -> None:
    """CloudWatch's lines around the function's own output, one log record per line."""
    rid = result.aws_request_id
    lambda_log.info("%s START RequestId: %s Version: $LATEST", function.name, rid)
    for line in result.logs:
        lambda_log.info("%s %s", function.name, line)
    if result.detail and result.function_error:
        lambda_log.warning("%s %s", function.name, result.detail.rstrip())
    lambda_log.info("%s END RequestId: %s", function.name, rid)
    report = (
        f"REPORT RequestId: {rid}\tDuration: {result.duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, int(-(-result.duration_ms // 1)))} ms\tMemory Size: {function.memory} MB"
    )
    if result.init_duration_ms is not None:
        report += f"\tInit Duration: {result.init_duration_ms:.2f} ms"
    lambda_log.info("%s %s", function.name, report)


async def invoke_lambda(services: Services, ctx: RequestContext) -> Invocation:
    """Invoke the method's function with ``ctx.event`` within the integration's own timeout."""
    assert ctx.match is not None
    method = ctx.match.method
    function = services.definitions.functions[method.integration.function or ""]
    call = services.invoker.invoke(function, ctx.event, trace_id=ctx.ids.trace_id)
    try:
        result = await asyncio.wait_for(call, method.integration.timeout_ms / 1000)
    except asyncio.TimeoutError:
        raise IntegrationTimeout(
            f"function {function.name!r} did not answer within the integration timeout of "
            f"{method.integration.timeout_ms} ms"
        ) from None
    log_invocation(function, result)
    invocation = Invocation(
        function=function.name,
        trigger=Trigger(
            ctx.match.api.name, ctx.match.resource.path, method.http_method, ctx.match.stage.name
        ),
        request_id=ctx.ids.request_id,
        event=ctx.event,
        context=_context_values(function, result),
        result=result,
    )
    ctx.invocation = invocation
    return invocation


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
