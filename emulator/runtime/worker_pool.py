"""One function's execution environments under process isolation, and the requests waiting for one.

Up to ``concurrency`` workers, and no more than the invoker's limits allow (``worker_limits``: the
cap on processes across functions, the retirement of idle ones); the most recently used idle one
serves the next request, so sequential calls land in the same environment, as on Lambda. A request
that finds every worker busy, or needs a new one the cap does not allow yet, waits, first come first
served, for up to the invoker's ``queue_timeout``, then is throttled (``TooManyRequests``). The reply
that frees a worker sends it the oldest waiting request from the same callback (``wake``), rather
than waking the waiter's coroutine to send it one loop turn later. A cold start runs as a task of its
own. New code or settings start a new generation: idle workers retire at once, busy ones once their
request is answered.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from emulator.model import Function
from emulator.runtime.call import Call
from emulator.runtime.outcomes import TooManyRequests
from emulator.runtime.worker_handle import State, Worker

if TYPE_CHECKING:
    from emulator.runtime.process import ProcessInvoker


def deployment(function: Function) -> tuple[Any, ...]:
    """What a worker is started with; a change needs new workers, unlike ``timeout`` or ``concurrency``."""
    return (
        function.handler,
        function.code_dir,
        function.layer_paths,
        function.memory,
        sorted(function.environment.items()),
    )


class Pool:
    """One function's execution environments and the requests waiting for one."""

    def __init__(self, invoker: ProcessInvoker, function: Function) -> None:
        self.invoker = invoker
        self.function = function
        self.deployment = deployment(function)
        self.generation = 0
        self.workers: set[Worker] = set()
        #: Most recently used last: it is reused first, as Lambda reuses a warm environment.
        self.idle: list[Worker] = []
        #: First come, first served.
        self.waiters: deque[Call] = deque()
        #: Source files the workers have loaded from the code directory, for hot reload.
        self.files: set[str] = set()
        #: Where its worker waits for a debugger (``serve --debug-port``), or ``None``. Such a worker is
        #: never retired for being idle or to make room, so that the debugger stays attached.
        self.debug_address: tuple[str, int] | None = invoker.debug_address(function.name)

    @property
    def debugged(self) -> bool:
        return self.debug_address is not None

    def update(self, function: Function) -> None:
        """A new definition of the function (a config reload); new workers only if it needs them."""
        new = deployment(function)
        self.function = function
        if new != self.deployment:
            self.deployment = new
            self.redeploy()
        self.wake()

    def redeploy(self) -> None:
        """New code or settings: idle workers go now, busy ones when their request is answered."""
        self.generation += 1
        self.files.clear()
        for worker in self.idle:
            worker.retire()
        self.idle.clear()

    def submit(self, call: Call, queue_timeout: float) -> None:
        """Send the call to a free environment, or queue it until one is free (throttled after a while)."""
        while self.waiters and self.waiters[0].future.done():
            # Throttled or given up: behind them, the call would wait for a wake that may not come.
            self.waiters.popleft()
        worker = None if self.waiters else self._free_worker()
        if worker is not None:
            self._dispatch(worker, call)
            return
        call.timer = asyncio.get_running_loop().call_later(queue_timeout, self._throttle, call, queue_timeout)
        self.waiters.append(call)
        self.invoker.limits.make_room()

    def _free_worker(self) -> Worker | None:
        """The most recently used idle environment, else a new one if the function may have more."""
        if self.idle:
            worker = self.idle.pop()
            worker.state = State.BUSY
            return worker
        if len(self.workers) < self.function.concurrency and self.invoker.limits.claim(self):
            return self._new_worker()
        return None

    def starving(self) -> int:
        """How many waiting calls a new worker would serve now, were the cap on processes not reached."""
        waiting = sum(1 for call in self.waiters if not call.future.done())
        return max(0, min(waiting, self.function.concurrency - len(self.workers)))

    def _dispatch(self, worker: Worker, call: Call) -> None:
        if worker.process is None:
            worker.starting = asyncio.ensure_future(self._start(worker, call))
        else:
            worker.send(call)

    async def _start(self, worker: Worker, call: Call) -> None:
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

    def _throttle(self, call: Call, waited: float) -> None:
        if call.future.done():
            return
        if len(self.workers) < self.function.concurrency:
            reason = (
                f"Rate Exceeded: function {self.function.name!r} waited {waited:g} s for a new execution "
                f"environment, but the emulator already runs its limit of {self.invoker.limits.max_workers} "
                "worker processes (--max-workers) and none came free"
            )
        else:
            reason = (
                f"Rate Exceeded: all {self.function.concurrency} execution environment(s) of "
                f"function {self.function.name!r} stayed busy for {waited:g} s (its `concurrency`)"
            )
        call.future.set_exception(TooManyRequests(reason))

    def _new_worker(self) -> Worker:
        worker = Worker(self, self.generation)
        self.workers.add(worker)
        self.invoker.live.add(worker)
        return worker

    def release(self, worker: Worker, *, retire: bool = False) -> None:
        if worker.state is State.DEAD:
            return
        if retire or worker.generation != self.generation or self.invoker.closed:
            worker.retire()
        else:
            worker.state = State.IDLE
            self.idle.append(worker)
            self.invoker.limits.idle(worker)
        self.wake()
        if self.idle:
            # Not needed here: another function may be waiting for room at the cap.
            self.invoker.limits.make_room()

    def lost(self, worker: Worker) -> None:
        self.workers.discard(worker)
        if worker in self.idle:
            self.idle.remove(worker)
        self.wake()

    def wake(self) -> None:
        """Send waiting calls to free or newly allowed workers, at once: from the reply that freed one."""
        while self.waiters:
            call = self.waiters[0]
            if call.future.done():
                self.waiters.popleft()
                continue
            worker = self._free_worker()
            if worker is None:
                self.invoker.limits.make_room()
                return
            self.waiters.popleft()
            if call.timer is not None:
                call.timer.cancel()
            self._dispatch(worker, call)

    def shut(self) -> None:
        """The emulator is shutting down: waiting calls are refused, idle workers retire."""
        for call in self.waiters:
            if call.timer is not None:
                call.timer.cancel()
            if not call.future.done():
                call.future.set_exception(TooManyRequests("the emulator is shutting down"))
        self.waiters.clear()
        for worker in list(self.idle):
            worker.retire()
