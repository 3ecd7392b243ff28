"""Thread isolation: handlers run in this process, on a thread pool, so breakpoints and mocks work.

Module state persists between invocations (a warm start) because modules are imported once. What a
process cannot do for threads is documented in the README: a timed-out handler's thread runs on to
completion in the background (its result is discarded), functions share ``sys.modules`` and the
process environment (each invocation sets its own function's variables while it runs), and a handler
that exits or crashes the process takes the emulator with it. Process isolation removes all three.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from emulator.model import Function
from emulator.runtime.capture import capture_output
from emulator.runtime.handlers import Handler, HandlerLoadError, load_handler
from emulator.runtime.lambda_context import LambdaContext, lambda_environment, log_stream_name
from emulator.runtime.marshal import MAX_RESPONSE_BYTES, MarshalError, marshal_result
from emulator.runtime.result import InvocationResult, error_payload

_env_lock = threading.Lock()


@contextmanager
def _function_environment(env: dict[str, str]) -> Iterator[None]:
    with _env_lock:
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
    try:
        yield
    finally:
        with _env_lock:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class _Environment:
    """One function's warm state in this process: its loaded handler and log stream."""

    def __init__(self, function: Function) -> None:
        self.function = function
        self.stream = log_stream_name()
        self.handler: Handler | None = None


class ThreadInvoker:
    def __init__(self, *, max_threads: int = 64) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="apig-emu-handler")
        self._environments: dict[str, _Environment] = {}
        self._overrides: dict[str, Handler] = {}

    def override(self, function_name: str, handler: Callable[[Any, Any], Any] | None) -> None:
        if handler is None:
            self._overrides.pop(function_name, None)
        else:
            self._overrides[function_name] = handler

    def _environment(self, function: Function) -> _Environment:
        env = self._environments.get(function.name)
        if env is None or env.function != function:
            env = self._environments[function.name] = _Environment(function)
        return env

    async def invoke(self, function: Function, event: Any, *, trace_id: str) -> InvocationResult:
        aws_request_id = str(uuid.uuid4())
        deadline = time.monotonic() + function.timeout
        env = self._environment(function)
        call = asyncio.get_running_loop().run_in_executor(
            self._executor, self._run, env, event, aws_request_id, deadline, trace_id
        )
        try:
            return await asyncio.wait_for(asyncio.shield(call), function.timeout)
        except asyncio.TimeoutError:
            message = (
                f"RequestId: {aws_request_id} Error: Task timed out after {function.timeout:.2f} seconds"
            )
            return InvocationResult(
                payload=error_payload("Sandbox.Timedout", message, [], aws_request_id),
                function_error="Unhandled",
                aws_request_id=aws_request_id,
                duration_ms=function.timeout * 1000,
                detail=f"{message} (thread isolation cannot stop the handler: its thread runs on)",
                timed_out=True,
            )

    def _run(
        self, env: _Environment, event: Any, aws_request_id: str, deadline: float, trace_id: str
    ) -> InvocationResult:
        function = env.function
        variables = lambda_environment(function, env.stream)
        variables["_X_AMZN_TRACE_ID"] = trace_id
        result = InvocationResult(payload=b"", aws_request_id=aws_request_id)
        with _function_environment(variables), capture_output(aws_request_id) as captured:
            handler = self._overrides.get(function.name) or env.handler
            if handler is None:
                started = time.perf_counter()
                try:
                    handler = env.handler = load_handler(function)
                except HandlerLoadError as exc:
                    result.payload = error_payload(exc.error_type, exc.message, exc.stack_trace, "")
                    result.function_error = "Unhandled"
                    result.detail = str(exc)
                    result.logs = captured.lines()
                    return result
                result.init_duration_ms = (time.perf_counter() - started) * 1000
            context = LambdaContext(function, aws_request_id, deadline, env.stream)
            started = time.perf_counter()
            try:
                result.payload = marshal_result(handler(event, context))
                if len(result.payload) > MAX_RESPONSE_BYTES:
                    result.payload = error_payload(
                        "Function.ResponseSizeTooLarge",
                        f"Response payload size ({len(result.payload)} bytes) exceeded maximum allowed "
                        f"payload size ({MAX_RESPONSE_BYTES} bytes).",
                        [],
                        aws_request_id,
                    )
                    result.function_error = "Unhandled"
            except MarshalError as exc:
                result.payload = error_payload("Runtime.MarshalError", str(exc), [], aws_request_id)
                result.function_error = "Unhandled"
                result.detail = str(exc)
            except SystemExit as exc:
                message = (
                    f"RequestId: {aws_request_id} Error: Runtime exited with error: exit status {exc.code}"
                )
                result.payload = error_payload("Runtime.ExitError", message, [], aws_request_id)
                result.function_error = "Unhandled"
                result.detail = (
                    f"the handler called sys.exit({exc.code!r}); thread isolation kept the emulator running"
                )
            except Exception as exc:
                # The runtime's own frame is not the user's: Lambda's stackTrace starts in the handler.
                frames = traceback.extract_tb(exc.__traceback__)[1:]
                result.payload = error_payload(
                    type(exc).__name__, str(exc), traceback.format_list(frames), aws_request_id
                )
                result.function_error = "Unhandled"
                result.detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                print(f"[ERROR] {type(exc).__name__}: {exc}")
            result.duration_ms = (time.perf_counter() - started) * 1000
            result.logs = captured.lines()
        return result

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
