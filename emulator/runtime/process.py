"""Process isolation: each function runs in warm worker processes of its own, as on Lambda.

A worker is one execution environment (``worker.py``, the child's side): it imports the handler at
its first invocation (a cold start, reported with its ``Init Duration``), keeps module state between
invocations, and serves one request at a time. A timeout, a crash or running out of memory costs only
that worker: it is killed, with whatever it started, and the next request starts a fresh one.

The parts, each in a module of its own: ``worker_pool`` (one function's workers, its waiting
requests, the hand-over to a freed worker), ``worker_handle`` (the gateway's side of one worker:
requests out, replies in, and how a call ends), ``worker_process`` (spawning, signalling and reaping
the process), ``wire`` (the framing on both pipes), ``call`` (one invocation on its way),
``worker_limits`` (the cap on processes across functions, the retirement of idle ones). This one ties
the pools together: requests to their function's pool, test doubles in this process, the memory
watch, retirement on a code or config change, and shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Collection
from typing import Any

from emulator.model import Function
from emulator.runtime.call import Call, Undelivered
from emulator.runtime.debugging import DebugTarget
from emulator.runtime.outcomes import DEFAULT_QUEUE_TIMEOUT, TooManyRequests
from emulator.runtime.result import InvocationResult
from emulator.runtime.threads import ThreadInvoker
from emulator.runtime.worker_handle import State, Worker
from emulator.runtime.worker_limits import DEFAULT_IDLE_TIMEOUT, WorkerLimits, default_max_workers
from emulator.runtime.worker_pool import Pool

log = logging.getLogger("apig_emu.runtime")

#: How often busy workers' resident memory is compared with their function's memory size.
MEMORY_CHECK_INTERVAL = 0.05

_LINUX = sys.platform.startswith("linux")


class ProcessInvoker:
    """Runs each function in worker processes of its own; see the module's docstring."""

    def __init__(
        self,
        *,
        queue_timeout: float = DEFAULT_QUEUE_TIMEOUT,
        enforce_memory: bool = True,
        max_workers: int | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        debug: DebugTarget | None = None,
    ) -> None:
        """``max_workers``: the most worker processes at once, all functions together (default: sized
        for this machine, ``default_max_workers``); ``idle_timeout``: seconds an idle worker is kept
        (0: until shutdown); ``debug``: the function whose worker starts under debugpy."""
        self.debug = debug
        self.queue_timeout = queue_timeout
        #: Memory sizes are enforced where Linux lets us read and limit a process's memory.
        self.enforce_memory = enforce_memory and _LINUX
        self.closed = False
        #: Every worker from the moment a pool decides on it until its process is reaped, whatever its
        #: pool thinks of it: what the cap on processes counts.
        self.live: set[Worker] = set()
        self._pools: dict[str, Pool] = {}
        self.limits = WorkerLimits(
            self._pools,
            self.live,
            max_workers=default_max_workers() if max_workers is None else max_workers,
            idle_timeout=idle_timeout,
        )
        self._overrides: set[str] = set()
        self._in_process: ThreadInvoker | None = None
        self._memory_watch: asyncio.Task[None] | None = None

    def debug_address(self, function_name: str) -> tuple[str, int] | None:
        """Where the function's worker listens for a debugger, if it is the one debugged."""
        if self.debug is None or self.debug.function != function_name:
            return None
        return self.debug.host, self.debug.port

    def override(self, function_name: str, handler: Callable[[Any, Any], Any] | None) -> None:
        """Test doubles are Python objects a worker process cannot receive: they run in this process."""
        if self._in_process is None:
            self._in_process = ThreadInvoker(queue_timeout=self.queue_timeout)
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
            pool = self._pools[function.name] = Pool(self, function)
        elif pool.function is not function:
            pool.update(function)
        call = Call(function, event, trace_id, retriable=not retried)
        pool.submit(call, self.queue_timeout)
        try:
            return await call.future
        except Undelivered as lost:
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

    def reaped(self, worker: Worker) -> None:
        """``worker``'s process is gone (or was never spawned): its place under the cap is free."""
        if worker in self.live:
            self.live.remove(worker)
            self.limits.freed()

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
        self.limits.close()
        if self._memory_watch is not None:
            self._memory_watch.cancel()
        for pool in self._pools.values():
            pool.shut()
        for worker in list(self.live):
            if worker.call is not None:
                worker.kill()
            elif worker.state is not State.DEAD:
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
