"""Process isolation: each function runs in warm worker processes of its own, as on Lambda.

A worker is one execution environment (``emulator.runtime.worker``): it imports the handler at its
first invocation (a cold start, reported with its ``Init Duration``), keeps module state between
invocations, and serves one request at a time. Each function has a pool of up to ``concurrency``
workers; the most recently used idle worker serves the next request, so sequential calls land in
the same environment as they do on Lambda. A request that finds every worker busy waits up to
``queue_timeout`` for one, then is throttled (``TooManyRequests``).

A timeout, a crash or running out of memory costs only that worker: it is killed (with whatever
it started, being a process group of its own) and reaped, and the next request starts a fresh one.
A worker that dies before it has read a request (killed while idle) never began that invocation:
the request goes to a fresh worker instead, once.
When the integration's own timeout gives up on a request, the worker keeps running it until it
finishes or its function's timeout kills it, as Lambda does.

The gateway never parks a thread on a worker: requests go out through a pipe transport and replies
arrive through a protocol on the event loop, framed as a length-prefixed pickle one way and a
``Reply`` (fixed figures, the raw payload, JSON only for output or an error) the other (``wire``). The reply
that frees a worker also sends it the oldest waiting request, from the same callback. Workers are
spawned with the current interpreter rather than forked from the server, so they start clean,
without the server's threads, sockets or modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable
from enum import Enum
from typing import Any

from emulator import ids, logs
from emulator.model import Function
from emulator.runtime.handler_problems import HandlerProblem
from emulator.runtime.lambda_context import lambda_environment, log_stream_name
from emulator.runtime.outcomes import Outcome, TooManyRequests, exit_reason, exited, out_of_memory, timed_out
from emulator.runtime.result import InvocationResult
from emulator.runtime.threads import ThreadInvoker
from emulator.runtime.wire import Reply, frame

log = logging.getLogger("apig_emu.runtime")

#: The worker's entry point, a script rather than ``-m``: see its docstring.
WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")
#: How long a request waits for a busy function's next free environment before it is throttled.
#: Lambda throttles at once; a short wait absorbs the bursts a browser or a test makes locally.
DEFAULT_QUEUE_TIMEOUT = 1.0
#: How often busy workers' resident memory is compared with their function's memory size.
MEMORY_CHECK_INTERVAL = 0.05
#: How long a retired worker may take to finish and exit before it is killed.
RETIRE_GRACE = 2.0

_LINUX = sys.platform.startswith("linux")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _output_file() -> int:
    """A file for the worker's stdout and stderr; appending, so both may empty it at any time."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("apig-emu-worker-output")
    else:
        with tempfile.TemporaryFile() as file:
            fd = os.dup(file.fileno())
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    return fd


def _deployment(function: Function) -> tuple[Any, ...]:
    """What a worker is started with; a change needs new workers, unlike ``timeout`` or ``concurrency``."""
    return (function.handler, function.code_dir, function.memory, sorted(function.environment.items()))


class _State(Enum):
    NEW = "new"
    IDLE = "idle"
    BUSY = "busy"
    DEAD = "dead"


class _Undelivered(Exception):
    """The worker died before it read the whole request: the invocation never began, another may take it."""


class _Call:
    """One invocation, from the request for it until its environment answers (or its caller gives up)."""

    __slots__ = ("aws_request_id", "event", "function", "future", "retriable", "timer", "trace_id")

    def __init__(self, function: Function, event: Any, trace_id: str, *, retriable: bool) -> None:
        self.aws_request_id = ids.request_id()
        self.function = function
        self.event = event
        self.trace_id = trace_id
        self.future: asyncio.Future[InvocationResult] = asyncio.get_running_loop().create_future()
        #: Whether ``_Undelivered`` may be raised, rather than the crash answered: once per request.
        self.retriable = retriable
        #: While it waits for an environment, its throttle; once sent, its function's timeout.
        self.timer: asyncio.TimerHandle | None = None


class _RequestPipe(asyncio.BaseProtocol):
    """The request pipe's side: whether it broke with part of a request still unwritten."""

    broken = False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.broken = True


class _Replies(asyncio.Protocol):
    """Cuts the worker's reply stream into frames; the end of the stream means the worker is gone."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while (decoded := Reply.decode(buffer)) is not None:
            reply, size = decoded
            del buffer[:size]
            self.worker.on_reply(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.worker.on_eof()


class _Worker:
    """The parent's handle on one execution environment."""

    def __init__(self, pool: _Pool, generation: int) -> None:
        self.pool = pool
        self.function = pool.function
        self.generation = generation
        self.state = _State.NEW
        self.process: subprocess.Popen[bytes] | None = None
        self.writer: asyncio.WriteTransport | None = None
        self.request_pipe: _RequestPipe | None = None
        #: A second handle on the request pipe, for asking how much of it the worker left unread
        #: once it died (the transport may have closed its own by then).
        self.request_probe = -1
        #: Set when the worker died: whether the request in hand never reached it (see ``_unread``).
        self.undelivered = False
        self.output_fd = -1
        self.ready = False
        self.call: _Call | None = None
        self.memory_mb = 0
        #: Whether the emulator killed it (a timeout, memory, shutdown) rather than it ending by itself.
        self.killed = False
        #: Its cold start while that runs: the event loop keeps only a weak reference to a task.
        self.starting: asyncio.Task[None] | None = None
        self.reaping: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    async def start(self) -> None:
        """Spawn the interpreter; it reports ready once it has set up the function's environment."""
        loop = asyncio.get_running_loop()
        self.output_fd = _output_file()
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        env = {**os.environ, **lambda_environment(self.function, log_stream_name())}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-u", WORKER_SCRIPT, str(request_read), str(reply_write)],
                stdin=subprocess.DEVNULL,
                stdout=self.output_fd,
                stderr=self.output_fd,
                pass_fds=(request_read, reply_write),
                env=env,
                start_new_session=True,
            )
        except BaseException:
            for fd in (request_write, reply_read, self.output_fd):
                os.close(fd)
            self.output_fd = -1
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
        self.pool.invoker.live.add(self)
        log.debug("function %r: started worker pid %s", self.function.name, self.process.pid)
        try:
            self.request_probe = os.dup(request_write)
            self.writer, self.request_pipe = await loop.connect_write_pipe(
                _RequestPipe, os.fdopen(request_write, "wb", buffering=0)
            )
            await loop.connect_read_pipe(lambda: _Replies(self), os.fdopen(reply_read, "rb", buffering=0))
        except BaseException:
            self.kill()
            raise
        if self.state is _State.DEAD:
            # Discarded while it started (the emulator is shutting down).
            self.kill()
            raise TooManyRequests("the emulator is shutting down")
        self.writer.write(frame(("init", self.function, self.pool.invoker.enforce_memory)))

    def send(self, call: _Call) -> None:
        assert self.writer is not None
        self.call = call
        self.state = _State.BUSY
        self.writer.write(frame((call.aws_request_id, call.trace_id, call.event, call.function.timeout)))
        if self.writer.is_closing() and self.request_pipe is not None:
            # The worker's end had closed already (it died while idle): the request went nowhere.
            self.request_pipe.broken = True
        if self.ready:
            self._arm(call)

    def _arm(self, call: _Call) -> None:
        """The function's timeout runs from when the environment can start on the request."""
        call.timer = asyncio.get_running_loop().call_later(call.function.timeout, self._timed_out, call)

    def on_reply(self, reply: Reply) -> None:
        if not self.ready:
            self.ready = True
            if self.call is not None:
                self._arm(self.call)
            return
        call, self.call = self.call, None
        if call is None:
            return
        if call.timer is not None:
            call.timer.cancel()
        self.memory_mb = reply.memory_mb
        if reply.files is not None:
            self.pool.files.update(reply.files)
        result = InvocationResult(
            payload=reply.payload,
            function_error=reply.function_error,
            aws_request_id=call.aws_request_id,
            logs=reply.logs or [],
            duration_ms=reply.duration_ms,
            init_duration_ms=reply.init_duration_ms,
            detail=reply.detail,
            max_memory_used_mb=reply.memory_mb,
        )
        self._resolve(call, result)
        self.pool.release(self, retire=reply.retire)

    def _resolve(self, call: _Call, result: InvocationResult) -> None:
        if call.future.done():
            # Nobody waits any more (the integration timed out), but CloudWatch would show it.
            logs.log_invocation(call.function, result)
        else:
            call.future.set_result(result)

    def _failed(self, call: _Call, outcome: Outcome, *, duration_ms: float, timed_out: bool = False) -> None:
        result = InvocationResult(
            payload=outcome.payload,
            function_error=outcome.function_error,
            aws_request_id=call.aws_request_id,
            logs=self.leftover_output(),
            duration_ms=duration_ms,
            detail=outcome.detail,
            timed_out=timed_out,
            max_memory_used_mb=self.memory_mb or None,
        )
        self._resolve(call, result)

    def _timed_out(self, call: _Call) -> None:
        if self.call is not call:
            return
        self.call = None
        self.kill()
        timeout = call.function.timeout
        outcome = timed_out(
            call.aws_request_id,
            timeout,
            note=f" (worker pid {self.pid} killed; the next request starts a fresh environment)",
        )
        self._failed(call, outcome, duration_ms=timeout * 1000, timed_out=True)

    def check_memory(self) -> None:
        """Lambda kills an environment whose memory passes its size; so does the emulator."""
        call = self.call
        if call is None or self.process is None:
            return
        try:
            with open(f"/proc/{self.process.pid}/statm", "rb") as statm:
                resident = int(statm.read().split()[1]) * _PAGE_SIZE // (1024 * 1024)
        except (OSError, ValueError, IndexError):
            return
        self.memory_mb = max(self.memory_mb, resident)
        if resident <= self.function.memory:
            return
        self.call = None
        if call.timer is not None:
            call.timer.cancel()
        self.kill()
        detail = (
            f"the function used {resident} MB, over its memory size of {self.function.memory} MB: "
            f"worker pid {self.pid} killed; the next request starts a fresh environment"
        )
        self._failed(call, out_of_memory(call.aws_request_id, detail=detail), duration_ms=0.0)

    def on_eof(self) -> None:
        """The worker closed its end: it exited or crashed (or was killed, which we know already)."""
        if self.state is _State.DEAD:
            return
        self.undelivered = self.call is not None and self._unread()
        self._dead()
        self._start_reaping()

    def _unread(self) -> bool:
        """Whether the dead worker left its request (part of it) unread: it never began the invocation.

        So it was dead, or dying, when the request was sent: killed while idle (``kill -9``, the OOM
        killer), the request on its way. Lambda would have given the request to another environment.
        """
        if self.request_pipe is not None and self.request_pipe.broken:
            return True
        try:
            unread = fcntl.ioctl(self.request_probe, termios.FIONREAD, b"\0\0\0\0")
        except OSError:
            return False
        return bool(struct.unpack("i", unread)[0])

    def _dead(self) -> None:
        self.state = _State.DEAD
        self.pool.lost(self)
        if self.writer is not None:
            self.writer.close()
        self._close_probe()

    def _close_probe(self) -> None:
        if self.request_probe >= 0:
            os.close(self.request_probe)
            self.request_probe = -1

    def kill(self) -> None:
        """Discard the environment at once, with every process it started."""
        self.killed = True
        if self.state is not _State.DEAD:
            self._dead()
        self._signal(signal.SIGKILL)
        self._start_reaping()

    def retire(self) -> None:
        """End the environment once it is idle: closing its request pipe lets it exit by itself."""
        if self.state is not _State.DEAD:
            self._dead()
        self._start_reaping()

    def _start_reaping(self) -> None:
        if self.reaping is None or self.reaping.done():
            self.reaping = asyncio.ensure_future(self._reap_and_report())

    async def _reap_and_report(self) -> None:
        try:
            returncode = await self._reap(grace=RETIRE_GRACE)
            call, self.call = self.call, None
            if call is not None:
                if call.timer is not None:
                    call.timer.cancel()
                if self.undelivered and call.retriable and not call.future.done():
                    call.future.set_exception(
                        _Undelivered(f"worker pid {self.pid} had ended ({exit_reason(returncode)})")
                    )
                    return
                detail = (
                    f"the execution environment (worker pid {self.pid}) ended during the invocation: "
                    f"{exit_reason(returncode)}; the next request starts a fresh one"
                )
                self._failed(call, exited(call.aws_request_id, returncode, detail=detail), duration_ms=0.0)
            elif returncode != 0 and not self.killed:
                log.warning(
                    "function %r: idle worker pid %s ended (%s)",
                    self.function.name,
                    self.pid,
                    exit_reason(returncode),
                )
        finally:
            self._close_output()

    def _signal(self, signum: int) -> None:
        # Only while the worker is not yet reaped: its pid, and so its process group, cannot be reused.
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    async def _reap(self, *, grace: float) -> int:
        """Wait for the worker to exit (killing it after ``grace``), then its leftovers, then reap it."""
        process = self.process
        if process is None:
            return 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        delay = 0.001
        while not _has_exited(process):
            if loop.time() >= deadline:
                self._signal(signal.SIGKILL)
                deadline = float("inf")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        self._signal(signal.SIGKILL)
        returncode = process.wait()
        self.pool.invoker.live.discard(self)
        return returncode

    def leftover_output(self) -> list[str]:
        """What the worker wrote since its last reply: the last words of a crashed handler."""
        if self.output_fd < 0:
            return []
        size = os.fstat(self.output_fd).st_size
        return os.pread(self.output_fd, size, 0).decode("utf-8", "replace").splitlines() if size else []

    def _close_output(self) -> None:
        if self.output_fd >= 0:
            os.close(self.output_fd)
            self.output_fd = -1

    def kill_now(self) -> None:
        """For a synchronous last resort, when no event loop runs any more."""
        self._close_probe()
        self._signal(signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(ChildProcessError):
                self.process.wait()
        self._close_output()


def _has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the worker has exited, without reaping it, so its process group can still be signalled."""
    if process.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


class _Pool:
    """One function's execution environments and the requests waiting for one."""

    def __init__(self, invoker: ProcessInvoker, function: Function) -> None:
        self.invoker = invoker
        self.function = function
        self.deployment = _deployment(function)
        self.generation = 0
        self.workers: set[_Worker] = set()
        #: Most recently used last: it is reused first, as Lambda reuses a warm environment.
        self.idle: list[_Worker] = []
        #: First come, first served.
        self.waiters: deque[_Call] = deque()
        #: Source files the workers have loaded from the code directory, for hot reload.
        self.files: set[str] = set()

    def update(self, function: Function) -> None:
        """A new definition of the function (a config reload); new workers only if it needs them."""
        deployment = _deployment(function)
        self.function = function
        if deployment != self.deployment:
            self.deployment = deployment
            self.redeploy()
        self._wake()

    def redeploy(self) -> None:
        """New code or settings: idle workers go now, busy ones when their request is answered."""
        self.generation += 1
        self.files.clear()
        for worker in self.idle:
            worker.retire()
        self.idle.clear()

    def submit(self, call: _Call, queue_timeout: float) -> None:
        """Send the call to a free environment, or queue it until one is free (throttled after a while)."""
        worker = None if self.waiters else self._free_worker()
        if worker is not None:
            self._dispatch(worker, call)
            return
        call.timer = asyncio.get_running_loop().call_later(queue_timeout, self._throttle, call, queue_timeout)
        self.waiters.append(call)

    def _free_worker(self) -> _Worker | None:
        """The most recently used idle environment, else a new one if the function may have more."""
        if self.idle:
            worker = self.idle.pop()
            worker.state = _State.BUSY
            return worker
        if len(self.workers) < self.function.concurrency:
            return self._new_worker()
        return None

    def _dispatch(self, worker: _Worker, call: _Call) -> None:
        if worker.process is None:
            worker.starting = asyncio.ensure_future(self._start(worker, call))
        else:
            worker.send(call)

    async def _start(self, worker: _Worker, call: _Call) -> None:
        """A cold start: spawn the environment, then send it the call that needed it."""
        try:
            await worker.start()
        except Exception as exc:
            worker.kill()
            if not call.future.done():
                call.future.set_exception(exc)
            return
        except BaseException:
            worker.kill()
            call.future.cancel()
            raise
        self.invoker.watch_memory()
        if call.future.done():
            # Its caller gave up while it started: the environment is warm for the next one.
            self.release(worker)
        else:
            worker.send(call)

    def _throttle(self, call: _Call, waited: float) -> None:
        if not call.future.done():
            call.future.set_exception(
                TooManyRequests(
                    f"Rate Exceeded: all {self.function.concurrency} execution environment(s) of "
                    f"function {self.function.name!r} stayed busy for {waited:g} s (its `concurrency`)"
                )
            )

    def _new_worker(self) -> _Worker:
        worker = _Worker(self, self.generation)
        self.workers.add(worker)
        return worker

    def release(self, worker: _Worker, *, retire: bool = False) -> None:
        if worker.state is _State.DEAD:
            return
        if retire or worker.generation != self.generation or self.invoker.closed:
            worker.retire()
        else:
            worker.state = _State.IDLE
            self.idle.append(worker)
        self._wake()

    def lost(self, worker: _Worker) -> None:
        self.workers.discard(worker)
        if worker in self.idle:
            self.idle.remove(worker)
        self._wake()

    def _wake(self) -> None:
        """Send waiting calls to free or newly allowed workers, at once: from the reply that freed one."""
        while self.waiters:
            call = self.waiters[0]
            if call.future.done():
                self.waiters.popleft()
                continue
            worker = self._free_worker()
            if worker is None:
                return
            self.waiters.popleft()
            if call.timer is not None:
                call.timer.cancel()
            self._dispatch(worker, call)


class ProcessInvoker:
    """Runs each function in worker processes of its own; see the module's docstring."""

    def __init__(self, *, queue_timeout: float = DEFAULT_QUEUE_TIMEOUT, enforce_memory: bool = True) -> None:
        self.queue_timeout = queue_timeout
        #: Memory sizes are enforced where Linux lets us read and limit a process's memory.
        self.enforce_memory = enforce_memory and _LINUX
        self.closed = False
        #: Every worker spawned and not yet reaped, whatever its pool thinks of it.
        self.live: set[_Worker] = set()
        self._pools: dict[str, _Pool] = {}
        self._overrides: set[str] = set()
        self._in_process: ThreadInvoker | None = None
        self._memory_watch: asyncio.Task[None] | None = None

    def override(self, function_name: str, handler: Callable[[Any, Any], Any] | None) -> None:
        """Test doubles are Python objects a worker process cannot receive: they run in this process."""
        if self._in_process is None:
            self._in_process = ThreadInvoker()
        self._in_process.override(function_name, handler)
        if handler is None:
            self._overrides.discard(function_name)
        else:
            self._overrides.add(function_name)

    async def invoke(
        self, function: Function, event: Any, *, trace_id: str, retried: bool = False
    ) -> InvocationResult:
        if function.name in self._overrides and self._in_process is not None:
            return await self._in_process.invoke(function, event, trace_id=trace_id)
        if self.closed:
            raise TooManyRequests("the emulator is shutting down")
        pool = self._pools.get(function.name)
        if pool is None:
            pool = self._pools[function.name] = _Pool(self, function)
        elif pool.function is not function:
            pool.update(function)
        call = _Call(function, event, trace_id, retriable=not retried)
        pool.submit(call, self.queue_timeout)
        try:
            return await call.future
        except _Undelivered as lost:
            # Once: a worker that dies before reading again is answered as the crash it is.
            log.warning(
                "function %r: %s before it took the request; a fresh one takes it", function.name, lost
            )
            return await self.invoke(function, event, trace_id=trace_id, retried=True)

    def watch_memory(self) -> None:
        if self.enforce_memory and self._memory_watch is None:
            self._memory_watch = asyncio.ensure_future(self._watch_memory())

    async def _watch_memory(self) -> None:
        while True:
            await asyncio.sleep(MEMORY_CHECK_INTERVAL)
            for worker in list(self.live):
                if worker.call is not None:
                    worker.check_memory()

    def code_changed(self, paths: Collection[str]) -> list[str]:
        """Restart the functions whose workers loaded one of ``paths``: a new deployment of each."""
        changed = {os.path.realpath(path) for path in paths}
        restarted = [name for name, pool in self._pools.items() if not pool.files.isdisjoint(changed)]
        for name in restarted:
            self._pools[name].redeploy()
        return restarted

    def retain(self, function_names: Collection[str]) -> None:
        """After a config reload: functions no longer defined give up their workers."""
        for name in [name for name in self._pools if name not in function_names]:
            self._pools.pop(name).redeploy()

    def worker_pids(self, function_name: str) -> list[int]:
        """The processes serving a function now, for tests and diagnostics."""
        pool = self._pools.get(function_name)
        return sorted(worker.pid for worker in pool.workers if worker.pid) if pool else []

    async def aclose(self) -> None:
        """Reap every worker: idle ones exit by themselves, busy ones are killed.

        Busy ones, once the server has let its requests finish, are those an integration timeout left
        running: nobody waits for their answer any more.
        """
        self.closed = True
        if self._memory_watch is not None:
            self._memory_watch.cancel()
        for pool in self._pools.values():
            for call in pool.waiters:
                if call.timer is not None:
                    call.timer.cancel()
                if not call.future.done():
                    call.future.set_exception(TooManyRequests("the emulator is shutting down"))
            pool.waiters.clear()
            for worker in list(pool.idle):
                worker.retire()
        for worker in list(self.live):
            if worker.call is not None:
                worker.kill()
            elif worker.state is not _State.DEAD:
                worker.retire()
        reaping = [worker.reaping for worker in list(self.live) if worker.reaping is not None]
        if reaping:
            await asyncio.gather(*reaping, return_exceptions=True)
        self.kill_now()
        if self._in_process is not None:
            await self._in_process.aclose()

    def kill_now(self) -> None:
        """Kill and reap whatever is left, without an event loop: the last step of a shutdown."""
        for worker in list(self.live):
            worker.kill_now()
        self.live.clear()


def check_handlers(functions: Iterable[Function], *, timeout: float = 60.0) -> dict[str, HandlerProblem]:
    """Import each handler in a throwaway process: the problems, by function name.

    For ``serve``'s start-up warning without running user code in the server: a module that
    crashes or hangs at import costs only the check, and is reported as such.
    """
    remaining = list(functions)
    problems: dict[str, HandlerProblem] = {}
    while remaining:
        result_read, result_write = os.pipe()
        process = subprocess.Popen(
            [sys.executable, WORKER_SCRIPT, "--check", str(result_write)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(result_write,),
            start_new_session=True,
        )
        os.close(result_write)
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            assert process.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write(pickle.dumps(remaining))
                process.stdin.close()
            with os.fdopen(result_read, "r") as results:
                for line in results:
                    report = json.loads(line)
                    remaining.pop(0)
                    if report["problem"]:
                        problems[report["function"]] = HandlerProblem.from_json(report["problem"])
            returncode = process.wait()
        finally:
            watchdog.cancel()
            if process.poll() is None:  # interrupted (Ctrl-C while serve starts): no waiting for it
                process.kill()
                process.wait()
        if remaining:
            # The process died importing the first function it had not reported.
            crashed = remaining.pop(0)
            what = (
                f"did not finish within {timeout:g} s"
                if returncode == -signal.SIGKILL
                else f"ended the process ({exit_reason(returncode)})"
            )
            problems[crashed.name] = HandlerProblem(f"importing its handler {what}")
    return problems
