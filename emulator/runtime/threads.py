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
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import emulator
from emulator import ids
from emulator.model import Function
from emulator.runtime.capture import capture_output
from emulator.runtime.environ import PER_REQUEST, set_python_only, unset_python_only
from emulator.runtime.handler_problems import HandlerProblem, diagnose
from emulator.runtime.handlers import Handler, HandlerLoadError, load_handler
from emulator.runtime.lambda_context import LambdaContext, lambda_environment, log_stream_name
from emulator.runtime.outcomes import UNHANDLED, Outcome, exited, init_failed, run_handler, timed_out
from emulator.runtime.pool import HandlerThreads
from emulator.runtime.result import InvocationResult, error_payload

#: Set on every invocation, so never worth restoring in between.
_TRACE_ID = "_X_AMZN_TRACE_ID"


class _EnvironmentUse:
    """One invocation's claim on the process environment, from ``expect`` to ``done``."""

    __slots__ = ("function", "variables")

    def __init__(self, function: str, variables: dict[str, str]) -> None:
        self.function = function
        self.variables = variables


class _SharedEnvironment:
    """The process environment, as invocations on threads share it.

    Setting a function's fifteen-odd variables and restoring them costs more than a small handler's
    whole run, so they stay set while invocations are pending (from ``expect`` to ``done``): each
    invocation changes only what differs from what is set (its trace id, another function's
    variables), and once none is pending or running, the environment is restored as it was. A burst
    of requests pays once; after every request the emulator's process has its own environment back.

    An invocation never sees a variable of another function, unless one of that function's runs at
    the same time (one process, one environment). One that timed out no longer counts: its thread
    runs on, but the environment is no longer kept for it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0
        #: Invocations between ``enter`` and ``leave`` that were not yet answered.
        self._running: set[_EnvironmentUse] = set()
        #: What invocations set, and what each name had before (``None``: unset).
        self._set: dict[str, str] = {}
        self._saved: dict[str, str | None] = {}

    def expect(self, function: str, variables: dict[str, str]) -> _EnvironmentUse:
        """An invocation will run: what is set stays set until its ``done``."""
        with self._lock:
            self._pending += 1
        return _EnvironmentUse(function, variables)

    def enter(self, use: _EnvironmentUse, trace_id: str | None) -> None:
        """On the invocation's thread, before the handler runs: its variables set."""
        variables = use.variables
        with self._lock:
            others = [other.variables for other in self._running if other.function != use.function]
            for name in [name for name in self._set if name not in variables and name != _TRACE_ID]:
                if not any(name in other for other in others):
                    self._restore(name)  # another function's, and no invocation of it runs
            for name, value in variables.items():
                if self._set.get(name) != value:
                    self._put(name, value)
            if trace_id is not None:
                self._put(_TRACE_ID, trace_id)
            self._running.add(use)

    def leave(self, use: _EnvironmentUse) -> None:
        """On the invocation's thread, once the handler returned."""
        with self._lock:
            self._running.discard(use)
            self._restore_if_idle()

    def done(self, use: _EnvironmentUse) -> None:
        """The invocation was answered: by its handler, or by its timeout while its thread runs on."""
        with self._lock:
            self._pending -= 1
            self._running.discard(use)
            self._restore_if_idle()

    def _put(self, name: str, value: str) -> None:
        if name not in self._saved:
            self._saved[name] = os.environ.get(name)
        _set(name, value)
        self._set[name] = value

    def _restore_if_idle(self) -> None:
        if self._pending <= 0 and not self._running:
            for name in list(self._set):
                self._restore(name)

    def _restore(self, name: str) -> None:
        del self._set[name]
        value = self._saved.pop(name)
        if value is not None:
            _set(name, value)
        elif name in PER_REQUEST:
            unset_python_only(name)
        else:
            os.environ.pop(name, None)


_environ = _SharedEnvironment()


@contextmanager
def _function_environment(env: dict[str, str], function: str = "") -> Iterator[None]:
    """One invocation's variables (``_X_AMZN_TRACE_ID`` among them), set for the block."""
    variables = dict(env)
    trace_id = variables.pop(_TRACE_ID, None)
    use = _environ.expect(function, variables)
    _environ.enter(use, trace_id)
    try:
        yield
    finally:
        _environ.leave(use)
        _environ.done(use)


def _set(name: str, value: str) -> None:
    # A per-request value through setenv would leak in glibc on every invocation (runtime.environ).
    if name in PER_REQUEST:
        set_python_only(name, value)
    else:
        os.environ[name] = value


class _Environment:
    """One function's warm state in this process: its loaded handler and log stream."""

    def __init__(self, function: Function) -> None:
        self.function = function
        self.stream = log_stream_name()
        self.handler: Handler | None = None
        self.variables = lambda_environment(function, self.stream)


class ThreadInvoker:
    def __init__(self, *, max_threads: int = 64) -> None:
        self._threads = HandlerThreads(max_threads)
        self._environments: dict[str, _Environment] = {}
        self._overrides: dict[str, Handler] = {}

    def override(self, function_name: str, handler: Callable[[Any, Any], Any] | None) -> None:
        if handler is None:
            self._overrides.pop(function_name, None)
        else:
            self._overrides[function_name] = handler

    def code_changed(self, paths: Collection[str]) -> list[str]:
        """Hot reload in one process: forget every module of the functions' code, so all re-import.

        Modules are shared, so unlike process isolation this cannot restart one function alone;
        libraries (site-packages) and the emulator's own modules are kept.
        """
        changed = {os.path.realpath(path) for path in paths}
        roots = {
            os.path.join(os.path.realpath(env.function.code_dir), "") for env in self._environments.values()
        }
        kept = (os.path.join(os.path.dirname(os.path.realpath(emulator.__file__)), ""),)
        stale: list[str] = []
        hit = False
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if not isinstance(file, str):
                continue
            real = os.path.realpath(file)
            hit = hit or real in changed
            if real.startswith(tuple(roots)) and not real.startswith(kept) and "site-packages" not in real:
                stale.append(name)
        if not hit:
            return []
        for name in stale:
            del sys.modules[name]
        restarted = sorted(self._environments)
        self._environments.clear()
        return restarted

    def _environment(self, function: Function) -> _Environment:
        env = self._environments.get(function.name)
        if env is None or (env.function is not function and env.function != function):
            env = self._environments[function.name] = _Environment(function)
        return env

    async def invoke(self, function: Function, event: Any, *, trace_id: str) -> InvocationResult:
        aws_request_id = ids.request_id()
        deadline = time.monotonic() + function.timeout
        env = self._environment(function)
        use = _environ.expect(function.name, env.variables)
        try:
            call = self._threads.run(self._run, env, use, event, aws_request_id, deadline, trace_id)
            # The function's timeout answers in the thread's stead; the thread's late answer is dropped.
            timer = asyncio.get_running_loop().call_later(
                function.timeout, _time_out, call, function, aws_request_id
            )
            try:
                return await call
            finally:
                timer.cancel()
        finally:
            _environ.done(use)

    def _run(
        self,
        env: _Environment,
        use: _EnvironmentUse,
        event: Any,
        aws_request_id: str,
        deadline: float,
        trace_id: str,
    ) -> InvocationResult:
        result = InvocationResult(payload=b"", aws_request_id=aws_request_id)
        _environ.enter(use, trace_id)
        try:
            return self._run_in(env, event, aws_request_id, deadline, result)
        finally:
            _environ.leave(use)

    def _run_in(
        self, env: _Environment, event: Any, aws_request_id: str, deadline: float, result: InvocationResult
    ) -> InvocationResult:
        function = env.function
        with capture_output(aws_request_id) as captured:
            handler = self._overrides.get(function.name) or env.handler
            if handler is None:
                started = time.perf_counter()
                try:
                    handler = env.handler = load_handler(function)
                except HandlerLoadError as exc:
                    outcome = init_failed(exc)
                    result.payload, result.function_error = outcome.payload, outcome.function_error
                    result.detail = outcome.detail
                    result.logs = captured.lines()
                    return result
                result.init_duration_ms = (time.perf_counter() - started) * 1000
            context = LambdaContext(function, aws_request_id, deadline, env.stream)
            started = time.perf_counter()
            try:
                outcome = run_handler(handler, event, context, aws_request_id)
            except SystemExit as exc:
                outcome = exited(
                    aws_request_id,
                    # As the interpreter would exit: None is 0, a message is 1.
                    0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1,
                    detail=f"the handler called sys.exit({exc.code!r}); thread isolation kept the emulator running",
                )
            except MemoryError as exc:
                # The machine itself ran out: report it as the function's error, as before.
                outcome = Outcome(
                    error_payload("MemoryError", str(exc), [], aws_request_id), UNHANDLED, repr(exc)
                )
            result.payload, result.function_error = outcome.payload, outcome.function_error
            result.detail = outcome.detail
            result.duration_ms = (time.perf_counter() - started) * 1000
            result.logs = captured.lines()
        return result

    async def aclose(self) -> None:
        self._threads.shutdown()


def _time_out(call: asyncio.Future[InvocationResult], function: Function, aws_request_id: str) -> None:
    if call.done():
        return
    outcome = timed_out(
        aws_request_id,
        function.timeout,
        note=" (thread isolation cannot stop the handler: its thread runs on)",
    )
    call.set_result(
        InvocationResult(
            payload=outcome.payload,
            function_error=outcome.function_error,
            aws_request_id=aws_request_id,
            duration_ms=function.timeout * 1000,
            detail=outcome.detail,
            timed_out=True,
        )
    )


def check_handlers(functions: Iterable[Function]) -> dict[str, HandlerProblem]:
    """Import each handler here, under its function's environment as its first invocation would.

    The modules stay imported: thread isolation imports them into this process anyway, and a module
    that reads a variable of its function's environment at import time finds it.
    """
    problems: dict[str, HandlerProblem] = {}
    for function in functions:
        with _function_environment(lambda_environment(function, log_stream_name()), function.name):
            problem = diagnose(function)
        if problem is not None:
            problems[function.name] = problem
    return problems
