"""Thread isolation: handlers run in this process, on threads, so breakpoints and mocks work.

Module state persists between invocations (a warm start) because modules are imported once. What a
process cannot do for threads is documented in the README: a timed-out handler's thread runs on to
completion in the background (its result is discarded), functions share ``sys.modules`` and the
process environment (each invocation sets its own function's variables while it runs), and a handler
that crashes the process (``os._exit``, a segfault) takes the emulator with it. Process isolation
removes all three. What Lambda's runtime lets end its process (``sys.exit``, ``KeyboardInterrupt``,
any ``BaseException`` that is not an ``Exception``) is answered as that end, and the emulator goes on.

Concurrency is process isolation's model (``worker_pool.py``) with a thread in place of each
execution environment: a function runs at most ``concurrency`` handlers at once (``_Share``); more
requests wait, first come first served, up to ``queue_timeout``, then are throttled; a waiting request
whose caller gave up (the integration's timeout) leaves the queue and never starts. A handler that
outlives its timeout keeps its slot until its thread really ends, as a Lambda environment stays busy
until its invocation ends, so a function stuck in its handlers throttles only itself: threads start on
demand (``pool.py``), never more than the functions' concurrency together.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import emulator
from emulator import ids
from emulator.model import Function
from emulator.runtime.capture import answer, start_capture, stop_capture
from emulator.runtime.environ import PER_REQUEST, set_python_only, unset_python_only
from emulator.runtime.environment import ExecutionEnvironment
from emulator.runtime.handler_problems import HandlerProblem, diagnose
from emulator.runtime.handlers import Handler
from emulator.runtime.lambda_context import lambda_environment, log_stream_name
from emulator.runtime.outcomes import (
    DEFAULT_QUEUE_TIMEOUT,
    UNHANDLED,
    Outcome,
    TooManyRequests,
    exit_reason,
    exit_status,
    exited,
    timed_out,
)
from emulator.runtime.pool import HandlerThreads
from emulator.runtime.result import InvocationResult, error_payload
from emulator.runtime.tracebacks import format_user_exception, innermost

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


class _ThreadEnvironment(ExecutionEnvironment):
    """One function's execution environment in this process: its output caught per thread.

    Its variables, trace id included, are set around ``invoke`` by the invocation's claim on the
    process environment (``_SharedEnvironment``): that claim spans from the request to its answer,
    longer than the steps here, which run on the handler's thread.
    """

    def __init__(self, function: Function) -> None:
        super().__init__(function, log_stream_name())
        self.variables = lambda_environment(function, self.stream)

    def begin(self, aws_request_id: str, trace_id: str) -> None:
        start_capture(aws_request_id, self.function.name)

    def output(self) -> list[str]:
        return stop_capture()

    def ended(self, exc: BaseException, aws_request_id: str) -> Outcome:
        """Answered as the end of the runtime's process it would be on Lambda; this thread goes on.

        The environment stays warm (module state included), where Lambda would start a fresh one:
        modules are shared in one process, and cannot be re-imported for one function alone.
        """
        if isinstance(exc, MemoryError):
            # The machine itself ran out: report it as the function's error.
            return Outcome(error_payload("MemoryError", str(exc), [], aws_request_id), UNHANDLED, repr(exc))
        last_words = _last_words(exc)
        if last_words:
            sys.stderr.write(last_words)  # into this invocation's output, as the process would write them
        status = exit_status(exc)
        what = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else _exception_only(exc)
        where = innermost(exc)
        return exited(
            aws_request_id,
            status,
            detail=f"{what}{f' at {where}' if where else ''} ends Lambda's runtime ({exit_reason(status)}), "
            "which catches only an Exception; thread isolation kept the emulator running",
        )


def _exception_only(exc: BaseException) -> str:
    """``KeyboardInterrupt``, ``app.Abort: why``: the exception's last line, as a traceback ends."""
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def _last_words(exc: BaseException) -> str:
    """What Python writes to stderr as ``exc`` ends its process: ``sys.exit``'s message, or the traceback."""
    if isinstance(exc, SystemExit):
        return "" if exc.code is None or isinstance(exc.code, int) else f"{exc.code}\n"
    return format_user_exception(exc)


class _Call:
    """One invocation, from the request for it until its handler's thread is done with it."""

    __slots__ = (
        "aws_request_id",
        "env",
        "event",
        "function",
        "future",
        "started",
        "timer",
        "trace_id",
        "use",
    )

    def __init__(
        self, function: Function, env: _ThreadEnvironment, event: Any, trace_id: str, use: _EnvironmentUse
    ) -> None:
        self.aws_request_id = ids.request_id()
        self.function = function
        self.env = env
        self.event = event
        self.trace_id = trace_id
        self.use = use
        self.future: asyncio.Future[InvocationResult] = asyncio.get_running_loop().create_future()
        #: Whether it got a thread; until then it waits in its function's queue.
        self.started = False
        #: While it waits, its throttle; once started, its function's timeout.
        self.timer: asyncio.TimerHandle | None = None


class _Share:
    """One function's share of the handler threads: at most ``concurrency`` handlers at once.

    ``running`` counts handlers on threads until they return, those whose invocation a timeout
    answered, or whose caller gave up, included: a thread that cannot be stopped is as busy as a
    Lambda environment still running an invocation. The handler that frees a slot starts the oldest
    waiting call from its own ``finished`` callback, as a freed worker takes one in ``worker_pool``.
    """

    def __init__(self, function: Function, start: Callable[[_Share, _Call], None]) -> None:
        self.function = function
        self._start = start
        self.running = 0
        #: First come, first served.
        self.waiting: deque[_Call] = deque()

    def submit(self, call: _Call, queue_timeout: float) -> None:
        """Start the call if the function has a free slot, else queue it (throttled after a while)."""
        if self.running < self.function.concurrency and not self.waiting:
            self._begin(call)
            return
        call.timer = asyncio.get_running_loop().call_later(queue_timeout, self._throttle, call, queue_timeout)
        self.waiting.append(call)

    def update(self, function: Function) -> None:
        """A new definition of the function (a config reload): its concurrency may have grown."""
        self.function = function
        self._wake()

    def withdraw(self, call: _Call) -> None:
        """Its caller gave up (the integration's timeout) or it was throttled: it will never start."""
        if not call.started:
            with contextlib.suppress(ValueError):  # a freed slot already passed it over (``_wake``)
                self.waiting.remove(call)

    def finished(self) -> None:
        """On the event loop: a handler's thread is done; its slot goes to the oldest waiting call."""
        self.running -= 1
        self._wake()

    def _begin(self, call: _Call) -> None:
        self.running += 1
        call.started = True
        if call.timer is not None:
            call.timer.cancel()
        self._start(self, call)

    def _wake(self) -> None:
        while self.waiting and self.running < self.function.concurrency:
            call = self.waiting.popleft()
            if not call.future.done():  # else throttled, or its caller gave up: it never starts
                self._begin(call)

    def _throttle(self, call: _Call, waited: float) -> None:
        if not call.future.done():
            call.future.set_exception(
                TooManyRequests(
                    f"Rate Exceeded: all {self.function.concurrency} handler thread(s) of function "
                    f"{self.function.name!r} stayed busy for {waited:g} s (its `concurrency`; a handler "
                    "past its timeout stays busy until it returns)"
                )
            )

    def shut(self) -> None:
        """The emulator is shutting down: waiting calls are refused."""
        for call in self.waiting:
            if not call.future.done():
                call.future.set_exception(TooManyRequests("the emulator is shutting down"))


class ThreadInvoker:
    """Runs each function's handlers on threads of this process, at most its ``concurrency`` at once.

    ``queue_timeout``: how long a request waits for one of its function's slots before it is throttled.
    """

    def __init__(self, *, queue_timeout: float = DEFAULT_QUEUE_TIMEOUT) -> None:
        self.queue_timeout = queue_timeout
        self._threads = HandlerThreads()
        self._environments: dict[str, _ThreadEnvironment] = {}
        #: By function name; kept across reloads, since the old code's handlers may still be running.
        self._shares: dict[str, _Share] = {}
        self._overrides: dict[str, Handler] = {}
        self._closed = False

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

    def _environment(self, function: Function) -> _ThreadEnvironment:
        env = self._environments.get(function.name)
        if env is None or (env.function is not function and env.function != function):
            env = self._environments[function.name] = _ThreadEnvironment(function)
        return env

    def _share(self, function: Function) -> _Share:
        share = self._shares.get(function.name)
        if share is None:
            share = self._shares[function.name] = _Share(function, self._start)
        elif share.function is not function:
            share.update(function)
        return share

    async def invoke(self, function: Function, event: Any, *, trace_id: str) -> InvocationResult:
        if self._closed:
            raise TooManyRequests("the emulator is shutting down")
        env = self._environment(function)
        share = self._share(function)
        call = _Call(function, env, event, trace_id, _environ.expect(function.name, env.variables))
        try:
            share.submit(call, self.queue_timeout)
            return await call.future
        finally:
            if call.timer is not None:
                call.timer.cancel()
            share.withdraw(call)
            _environ.done(call.use)

    def _start(self, share: _Share, call: _Call) -> None:
        """On the event loop: the call has a slot; its handler starts on a thread, its timeout with it."""
        timeout = call.function.timeout
        self._threads.run(call.future, share.finished, self._run, call, time.monotonic() + timeout)
        # The function's timeout answers in the thread's stead; the thread's late answer is dropped.
        call.timer = asyncio.get_running_loop().call_later(timeout, _time_out, call)

    def _run(self, call: _Call, deadline: float) -> InvocationResult:
        _environ.enter(call.use, call.trace_id)
        try:
            result = call.env.invoke(
                call.event,
                call.aws_request_id,
                call.trace_id,
                deadline,
                self._overrides.get(call.function.name),
            )
        finally:
            _environ.leave(call.use)
        if time.monotonic() < deadline:
            return result
        # Past its timeout, and its timer has not answered yet: handler threads that keep the GIL busy
        # (print loops) can hold the event loop up for longer than a handler overruns, and the loop then
        # runs this answer before the timer. Lambda would have timed it out: so is it.
        return _timed_out_result(call, result.logs, note=" (the handler returned after it)")

    async def aclose(self) -> None:
        self._closed = True
        for share in self._shares.values():
            share.shut()
        self._threads.shutdown()


def _time_out(call: _Call) -> None:
    if call.future.done():
        return
    # What the handler wrote until now is the invocation's log, as on Lambda; what it writes after, dropped.
    logs = answer(call.aws_request_id)
    call.future.set_result(
        _timed_out_result(
            call,
            logs,
            note=" (thread isolation cannot stop the handler: its thread runs on, and holds one of the "
            "function's `concurrency` until it ends)",
        )
    )


def _timed_out_result(call: _Call, logs: list[str], *, note: str) -> InvocationResult:
    timeout = call.function.timeout
    outcome = timed_out(call.aws_request_id, timeout, note=note)
    return outcome.result(call.aws_request_id, duration_ms=timeout * 1000, logs=logs, timed_out=True)


def check_handlers(functions: Iterable[Function]) -> dict[str, HandlerProblem]:
    """Import each handler here, under its function's environment as its first invocation would.

    The modules stay imported: thread isolation imports them into this process anyway, and a module
    that reads a variable of its function's environment at import time finds it. A module that ends
    Lambda's runtime at import (``sys.exit``) is reported, not obeyed; Ctrl-C meanwhile still stops.
    """
    problems: dict[str, HandlerProblem] = {}
    for function in functions:
        with (
            _function_environment(lambda_environment(function, log_stream_name()), function.name),
            _ctrl_c_told_apart() as pressed,
        ):
            problem = diagnose(function)
        if pressed:
            raise KeyboardInterrupt
        if problem is not None:
            problems[function.name] = problem
    return problems


@contextmanager
def _ctrl_c_told_apart() -> Iterator[list[int]]:
    """Notes a Ctrl-C, which ``diagnose`` cannot tell from a ``KeyboardInterrupt`` the module raises.

    ``diagnose`` answers a module's own ``KeyboardInterrupt`` as Lambda would (the runtime ends);
    the user's Ctrl-C must stop the command instead. Signals reach the main thread only, and a
    handler of someone else's is theirs to keep: in either case there is nothing to tell apart.
    """
    pressed: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        pressed.append(signum)
        raise KeyboardInterrupt

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield pressed
        return
    signal.signal(signal.SIGINT, interrupt)
    try:
        yield pressed
    finally:
        if signal.getsignal(signal.SIGINT) is interrupt:  # the module may have set its own
            signal.signal(signal.SIGINT, signal.default_int_handler)
