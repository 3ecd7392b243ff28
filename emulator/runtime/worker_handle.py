"""The gateway's handle on one worker: its pipes on the event loop, and every way a call to it ends.

The gateway never parks a thread on a worker: a request goes out through a pipe transport, replies
arrive through a protocol that cuts them into ``Reply`` frames (``wire``), and the reply answers the
call from that same callback. The handle also ends calls the worker cannot answer: the function's
timeout and its memory size kill the worker; a worker that dies mid-invocation is answered as the
crash it is, one that died before it read the request (killed while idle) hands the call back to be
sent to a fresh one (``Undelivered``). When the integration's own timeout gives up on a request, the
worker keeps running it until it finishes or its function's timeout kills it, as Lambda does.

The worker's output comes through a pipe of its own, read as it arrives and kept up to the cap
(``output.Collected``), so a handler printing without end costs the gateway a bounded buffer. All
of it belongs to the invocation in hand until its reply, because the worker writes its reply after
its output: the reply's callback first reads what is still in the pipe. What arrives while the
worker is idle (threads or processes a handler left running) opens the next invocation's output,
as on Lambda, where they run again only once the environment is thawed for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import struct
import termios
from enum import Enum
from typing import TYPE_CHECKING

from emulator import logs
from emulator.runtime.call import Call, Undelivered
from emulator.runtime.outcomes import (
    Outcome,
    TooManyRequests,
    exit_reason,
    exited,
    out_of_memory,
    timed_out,
)
from emulator.runtime.output import Collected
from emulator.runtime.result import InvocationResult
from emulator.runtime.wire import Reply, frame, frame_init
from emulator.runtime.worker_process import WorkerProcess

if TYPE_CHECKING:
    from emulator.runtime.worker_pool import Pool

log = logging.getLogger("apig_emu.runtime")

#: How long a retired worker may take to finish and exit before it is killed.
RETIRE_GRACE = 2.0
#: Bytes read from the output pipe at a time: what a pipe holds unless enlarged. Larger reads would
#: cost a handler that prints a line as much as one that floods: ``os.read`` allocates its size first.
OUTPUT_CHUNK = 64 * 1024
#: Reads that take what is in the output pipe before a reply is answered: one or two suffice, since the
#: worker blocks on a full pipe; a bound, so that a process still writing cannot hold the event loop.
DRAIN_READS = 16


class State(Enum):
    NEW = "new"
    IDLE = "idle"
    BUSY = "busy"
    DEAD = "dead"


class _RequestPipe(asyncio.BaseProtocol):
    """The request pipe's side: whether it broke with part of a request still unwritten."""

    broken = False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.broken = True


class _Replies(asyncio.Protocol):
    """Cuts the worker's reply stream into frames; the end of the stream means the worker is gone."""

    def __init__(self, worker: Worker) -> None:
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


class Worker:
    """The parent's handle on one execution environment."""

    def __init__(self, pool: Pool, generation: int) -> None:
        self.pool = pool
        self.function = pool.function
        self.generation = generation
        self.state = State.NEW
        self.process: WorkerProcess | None = None
        self.writer: asyncio.WriteTransport | None = None
        self.request_pipe: _RequestPipe | None = None
        #: A second handle on the request pipe, for asking how much of it the worker left unread
        #: once it died (the transport may have closed its own by then).
        self.request_probe = -1
        #: Set when the worker died: whether the request in hand never reached it (see ``_unread``).
        self.undelivered = False
        self.ready = False
        self.call: Call | None = None
        #: The output of the invocation in hand (or of the next one, while idle), up to the cap.
        self.output = Collected()
        #: The loop reading the output pipe, from the start until every writer is gone or it is reaped.
        self.output_loop: asyncio.AbstractEventLoop | None = None
        self.memory_mb = 0
        #: When it last became idle, by the event loop's clock: idle workers retire after a while.
        self.idle_since = 0.0
        #: Whether the emulator killed it (a timeout, memory, shutdown) rather than it ending by itself.
        self.killed = False
        #: Its cold start while that runs: the event loop keeps only a weak reference to a task.
        self.starting: asyncio.Task[None] | None = None
        self.reaping: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    @property
    def discarded(self) -> bool:
        return self.state is State.DEAD

    async def start(self) -> None:
        """Spawn the interpreter; it reports ready once it has set up the function's environment."""
        loop = asyncio.get_running_loop()
        if self.discarded:
            # Before it was spawned (the emulator is shutting down): it never takes a process.
            raise TooManyRequests("the emulator is shutting down")
        debug = self.pool.debug_address
        self.process = process = WorkerProcess(self.function, debug=debug)
        log.debug("function %r: started worker pid %s", self.function.name, process.pid)
        if debug is not None:
            log.warning(
                "function %r: worker pid %s waits for a debugger on %s:%d (debugpy): attach your IDE to it "
                "and the request goes on",
                self.function.name,
                process.pid,
                *debug,
            )
        try:
            self.request_probe = os.dup(process.request_fd)
            self.writer, self.request_pipe = await loop.connect_write_pipe(
                _RequestPipe, os.fdopen(process.request_fd, "wb", buffering=0)
            )
            await loop.connect_read_pipe(
                lambda: _Replies(self), os.fdopen(process.reply_fd, "rb", buffering=0)
            )
            loop.add_reader(process.output_fd, self._read_output)
            self.output_loop = loop
        except BaseException:
            self.kill()
            raise
        if self.discarded:
            # While it started (the emulator is shutting down).
            self.kill()
            raise TooManyRequests("the emulator is shutting down")
        self.writer.write(frame_init(("init", self.function, self.pool.invoker.enforce_memory)))

    def send(self, call: Call) -> None:
        assert self.writer is not None
        self.call = call
        self.state = State.BUSY
        self.writer.write(frame((call.aws_request_id, call.trace_id, call.event, call.function.timeout)))
        if self.writer.is_closing() and self.request_pipe is not None:
            # The worker's end had closed already (it died while idle): the request went nowhere.
            self.request_pipe.broken = True
        if self.ready:
            self._arm(call)

    def _arm(self, call: Call) -> None:
        """The function's timeout runs from when the environment can start on the request."""
        call.timer = asyncio.get_running_loop().call_later(call.function.timeout, self._timed_out, call)

    def _read_output(self) -> None:
        """The event loop's callback while the output pipe has something to read."""
        if self.process is None:
            return
        data = self.process.read_output(OUTPUT_CHUNK)
        if data:
            self.output.feed(data)
        elif data is not None:
            self._stop_reading_output()  # every writer is gone

    def _drain_output(self) -> None:
        """Read what is in the output pipe now: all the invocation wrote before it replied or ended."""
        for _ in range(DRAIN_READS):
            if self.output_loop is None or self.process is None:
                return
            data = self.process.read_output(OUTPUT_CHUNK)
            if not data:
                if data is not None:
                    self._stop_reading_output()
                return
            self.output.feed(data)

    def _stop_reading_output(self) -> None:
        loop, self.output_loop = self.output_loop, None
        if loop is not None and self.process is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: it reads nothing any more
                loop.remove_reader(self.process.output_fd)

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
        self._drain_output()
        result = InvocationResult(
            payload=reply.payload,
            function_error=reply.function_error,
            aws_request_id=call.aws_request_id,
            logs=self.output.take(reply.output_dropped),
            duration_ms=reply.duration_ms,
            init_duration_ms=reply.init_duration_ms,
            detail=reply.detail,
            max_memory_used_mb=reply.memory_mb,
        )
        self._resolve(call, result)
        self.pool.release(self, retire=reply.retire)

    def _resolve(self, call: Call, result: InvocationResult) -> None:
        if call.future.done():
            # Nobody waits any more (the integration timed out), but CloudWatch would show it.
            logs.log_invocation(call.function, result)
        else:
            call.future.set_result(result)

    def _failed(self, call: Call, outcome: Outcome, *, duration_ms: float, timed_out: bool = False) -> None:
        self._drain_output()
        result = outcome.result(
            call.aws_request_id,
            duration_ms=duration_ms,
            # The worker's own count of what it dropped ended with it.
            logs=self.output.take(counted=False),
            timed_out=timed_out,
            max_memory_used_mb=self.memory_mb or None,
        )
        self._resolve(call, result)

    def _timed_out(self, call: Call) -> None:
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
        resident = self.process.resident_mb()
        if resident is None:
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
        if self.state is State.DEAD:
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
        self.state = State.DEAD
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
        if self.state is not State.DEAD:
            self._dead()
        if self.process is not None:
            self.process.signal(signal.SIGKILL)
        self._start_reaping()

    def retire(self) -> None:
        """End the environment once it is idle: closing its request pipe lets it exit by itself."""
        if self.state is not State.DEAD:
            self._dead()
        self._start_reaping()

    def _start_reaping(self) -> None:
        if self.reaping is None or self.reaping.done():
            self.reaping = asyncio.ensure_future(self._reap_and_report())

    async def _reap_and_report(self) -> None:
        process = self.process
        if process is None:
            self.pool.invoker.reaped(self)
            return
        try:
            returncode = await process.reap(grace=RETIRE_GRACE)
            self.pool.invoker.reaped(self)
            call, self.call = self.call, None
            if call is not None:
                if call.timer is not None:
                    call.timer.cancel()
                if self.undelivered and call.retriable and not call.future.done():
                    call.future.set_exception(
                        Undelivered(f"worker pid {self.pid} had ended ({exit_reason(returncode)})")
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
            self._stop_reading_output()
            process.close_output()

    def kill_now(self) -> None:
        """For a synchronous last resort, when no event loop runs any more."""
        self._close_probe()
        self._stop_reading_output()
        if self.process is not None:
            self.process.kill_now()
