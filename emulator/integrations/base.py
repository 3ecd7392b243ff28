"""What every integration kind shares: its two parts of the chain, what a backend answers, and the Lambda call.

A kind supplies the integration request (what is sent: a Lambda event, later an HTTP request) and the
invocation (sending it, and reading the answer into a ``BackendReply``). Everything after that is the
chain's, whatever the kind: selecting and mapping an integration response, the method response.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from emulator.config.lambda_uris import UnresolvedFunction, lambda_target, resolve_function
from emulator.context import RequestContext
from emulator.errors import IntegrationFailure, IntegrationTimeout, Throttled
from emulator.invocations import Invocation, Trigger
from emulator.mapping.parameters import map_request_parameters, mapped_headers
from emulator.model import Function, Integration, Stage
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


@dataclass(slots=True)
class BackendReply:
    """What the backend answered: the client's response for a proxy, the input of integration responses otherwise."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    #: What selection patterns are matched against: a Lambda function error's ``errorMessage`` (``None``
    #: for a Lambda success, which takes the default response), or an HTTP or MOCK status code.
    selector: str | None = None


class IntegrationKind(Protocol):
    """One integration type's parts of the chain; both read and fill the request's context."""

    async def request(self, ctx: RequestContext) -> None:
        """Build what is sent to the backend (``ctx.event`` for a Lambda function)."""
        ...

    async def invoke(self, ctx: RequestContext) -> None:
        """Send it and fill ``ctx.backend``; raise a ``GatewayError`` when the backend cannot answer."""
        ...


#: Headers mapped onto a Lambda Invoke that fail every call with a 500 (recorded, reference A.7(b)).
REFUSED_LAMBDA_HEADERS = (
    "Authorization",
    "Connection",
    "Content-Length",
    "Expect",
    "Proxy-Authenticate",
    "TE",
    "Transfer-Encoding",
)
#: What Lambda's Invoke API reads from the integration request: ``Event`` answers at once, the
#: function running on (AWS's documented way to make a method asynchronous).
INVOCATION_TYPE = "X-Amz-Invocation-Type"

log = logging.getLogger("apig_emu.integration")


class LambdaInvocation:
    """The Lambda Invoke both Lambda kinds make: the method's function, within the integration's timeout.

    ``background`` holds the asynchronous (``Event``) invocations still running, so that the gateway
    can end them when it closes and none is garbage-collected midway.
    """

    def __init__(self, invoker: Invoker, background: set[asyncio.Task[None]] | None = None) -> None:
        self.invoker = invoker
        self.background = background if background is not None else set()

    async def __call__(self, ctx: RequestContext) -> InvocationResult:
        assert ctx.match is not None
        integration = ctx.match.method.integration
        parameters = map_request_parameters(ctx)
        mapped_headers(parameters, refused=REFUSED_LAMBDA_HEADERS, dropped=(), backend=integration.describe())
        name = integration.function or _function_of(integration, ctx.match.stage)
        function = ctx.deployment.definitions.functions.get(name)
        if function is None:
            raise IntegrationFailure(
                f"{integration.describe()} names the function {name!r}, which is not defined"
            )
        if (parameters.header(INVOCATION_TYPE) or "").strip() == "Event":
            return self._in_background(ctx, function)
        call = self.invoker.invoke(function, ctx.event, trace_id=ctx.ids.trace_id)
        try:
            result = await within(integration.timeout_ms / 1000, call)
        except TooManyRequests as exc:
            raise Throttled(
                f"function {function.name!r} was throttled (TooManyRequestsException): {exc}"
            ) from None
        except asyncio.TimeoutError:
            error = IntegrationTimeout(
                f"function {function.name!r} did not answer within the integration timeout of "
                f"{integration.timeout_ms} ms"
            )
            # Recorded all the same, so a test or the inspector sees which call the gateway gave up on.
            detail = f"{error.reason}; the function ran on"
            _record(ctx, function, InvocationResult(payload=b"", detail=detail), answered=False)
            raise error from None
        _record(ctx, function, result, answered=True)
        return result

    def _in_background(self, ctx: RequestContext, function: Function) -> InvocationResult:
        """Lambda's answer to an ``Event`` invoke (202, no payload) now; the function runs on.

        The record is the one the harness and inspector list: its result is filled in when the
        function ends, which the log then reports, since no response will show it.
        """
        accepted = InvocationResult(
            payload=b"",
            detail=f"invoked asynchronously ({INVOCATION_TYPE}: Event): the gateway answered without waiting",
        )
        _record(ctx, function, accepted, answered=False)
        invocation = ctx.invocation
        assert invocation is not None
        call = self.invoker.invoke(function, ctx.event, trace_id=ctx.ids.trace_id)

        async def run() -> None:
            try:
                result = await call
            except Exception as exc:
                log.warning("asynchronous invocation of function %r failed: %r", function.name, exc)
                return
            invocation.result = result
            error = result.error
            outcome = (
                "ended" if error is None else f"failed: {error.get('errorType')}: {error.get('errorMessage')}"
            )
            log.log(
                logging.INFO if error is None else logging.WARNING,
                "asynchronous invocation of function %r (request %s) %s",
                function.name,
                invocation.request_id,
                outcome,
            )

        task = asyncio.ensure_future(run())
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return accepted


def _function_of(integration: Integration, stage: Stage) -> str:
    """The function of a URI that names it through stage variables, for this request's stage."""
    if integration.uri is None:
        raise IntegrationFailure(f"{integration.describe()} has no uri")
    try:
        if lambda_target(integration.uri) is None:
            raise IntegrationFailure(
                f"{integration.describe()}: the uri names neither a Lambda function nor an AWS service's "
                "action/ or path/"
            )
        return resolve_function(integration.uri, stage.name, stage.variables)
    except UnresolvedFunction as error:
        raise IntegrationFailure(f"{integration.describe()}: {error}") from None


def _record(ctx: RequestContext, function: Function, result: InvocationResult, *, answered: bool) -> None:
    assert ctx.match is not None
    match = ctx.match
    ctx.function = function
    ctx.invocation = Invocation(
        function=function.name,
        trigger=Trigger(match.api.name, match.resource.path, match.method.http_method, match.stage.name),
        request_id=ctx.ids.request_id,
        event=ctx.event,
        context={
            "aws_request_id": result.aws_request_id,
            "function_name": function.name,
            "function_version": "$LATEST",
            "invoked_function_arn": function_arn(function),
            "memory_limit_in_mb": str(function.memory),
            "log_group_name": f"/aws/lambda/{function.name}",
            "timeout": function.timeout,
        },
        result=result,
        answered=answered,
    )
