"""The bounds on worker processes across all functions: how many may exist at once, how long one may idle.

Lambda reclaims an execution environment that has sat idle for a while (minutes; AWS does not say how
long), and an account runs only so many at once, throttling the rest (its concurrency limit). Locally
each environment is a Python process of about 20 MB, so both bounds matter more than on AWS: without
them, 50 functions kept 200 idle workers (3.9 GB) alive for as long as the emulator ran.

- A worker idle for ``idle_timeout`` seconds is retired; its function's next request starts a fresh
  one, as on Lambda. One timer serves every worker, set for the next one due, so a request that
  frees a worker only notes the time.
- At most ``max_workers`` processes exist, each counted from the moment it is decided on until its
  process has been reaped, so that ``ps`` never shows more. A cold start at the cap retires the least
  recently used idle worker of any function and starts once that one has exited; with none idle, the
  request waits in its function's queue as for a busy environment (a slot that frees goes to the
  function that has waited longest), and is throttled if none frees in time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only for types: the command line reads this module's defaults without loading the runtime.
    from emulator.runtime.worker_handle import Worker
    from emulator.runtime.worker_pool import Pool

log = logging.getLogger("apig_emu.runtime")

#: Seconds a worker may stay idle before it is retired: 10 minutes, inside the 5 to 15 that Lambda is
#: commonly seen to keep an idle environment, so that a cold start shows up locally about when it would.
DEFAULT_IDLE_TIMEOUT = 600.0
#: A worker's resident memory once it has imported a small handler (15 to 25 MB measured).
WORKER_MB = 20
#: The default cap's range: enough processes to keep a dozen functions warm and a few of them busy at
#: once on any machine, few enough that a laptop never gives more than about 650 MB to idle ones.
MIN_DEFAULT_WORKERS = 16
MAX_DEFAULT_WORKERS = 32
#: How early a timer may fire, by the loop's clock: a worker due that much later counts as due.
_TIMER_SLACK = 0.001


def default_max_workers(cpus: int | None = None, memory_mb: int | None = None) -> int:
    """Four workers per CPU, from 16 to 32, and never more than a quarter of the machine's memory holds.

    Idle workers cost memory only; busy ones compete for the CPUs. A worker a function's concurrency
    asks for past this waits (or is throttled) rather than slowing every other one down.
    """
    cpus = cpus if cpus is not None else _cpus()
    memory_mb = memory_mb if memory_mb is not None else _memory_mb()
    by_cpu = min(max(4 * cpus, MIN_DEFAULT_WORKERS), MAX_DEFAULT_WORKERS)
    if memory_mb is None:
        return by_cpu
    return max(1, min(by_cpu, memory_mb // 4 // WORKER_MB))


def _cpus() -> int:
    """The CPUs this process may run on (a container's or ``taskset``'s share, where the system says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _memory_mb() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return None


def describe_seconds(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} s"


class WorkerLimits:
    """The cap on worker processes and the retirement of idle ones, over every function's pool."""

    def __init__(
        self,
        pools: Mapping[str, Pool],
        live: Collection[Worker],
        *,
        max_workers: int,
        idle_timeout: float,
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be 1 or more, got {max_workers}")
        if idle_timeout < 0:
            raise ValueError(f"idle_timeout must be 0 (never) or more seconds, got {idle_timeout:g}")
        self.max_workers = max_workers
        #: 0 keeps idle workers until shutdown.
        self.idle_timeout = idle_timeout
        self._pools = pools
        #: Every worker counted against the cap: the invoker adds it when it is decided on, and removes it
        #: once its process is reaped.
        self._live = live
        #: Functions with a request waiting for a slot, in the order they began to wait (an ordered set).
        self._starved: dict[Pool, None] = {}
        self._sweep: asyncio.TimerHandle | None = None

    # The cap

    def claim(self, pool: Pool) -> bool:
        """Whether ``pool`` may start a worker now; if not, it gets a slot when one frees (``freed``)."""
        if len(self._live) < self.max_workers:
            return True
        self._starved[pool] = None
        return False

    def make_room(self) -> None:
        """At the cap, with requests waiting for a new worker: retire idle workers for them.

        The least recently used first, whatever their function; each gives up its slot once its
        process has exited. Workers already on their way out (retired, timed out, crashed) count as
        room on its way, so a request never costs more than one idle worker.
        """
        if not self._starved:
            return
        wanted = 0
        for pool in list(self._starved):
            starving = pool.starving()
            if starving:
                wanted += starving
            else:
                del self._starved[pool]
        # Counted until reaped, but no longer in any pool: on their way out.
        wanted -= len(self._live) - sum(len(pool.workers) for pool in self._pools.values())
        while wanted > 0 and (worker := self._least_recently_used()) is not None:
            log.info(
                "function %r: idle worker pid %s retired to make room: the emulator runs at most %d worker "
                "processes (--max-workers) and another function needs one",
                worker.function.name,
                worker.pid,
                self.max_workers,
            )
            worker.pool.idle.remove(worker)
            worker.retire()
            wanted -= 1

    def freed(self) -> None:
        """A worker's process was reaped: its slot goes to the function that has waited longest for one."""
        while self._starved and len(self._live) < self.max_workers:
            pool = next(iter(self._starved))
            del self._starved[pool]
            pool.wake()

    def _least_recently_used(self) -> Worker | None:
        oldest: Worker | None = None
        for pool in self._pools.values():
            # Each pool's idle list is in the order its workers became idle.
            if (
                pool.idle
                and not pool.debugged
                and (oldest is None or pool.idle[0].idle_since < oldest.idle_since)
            ):
                oldest = pool.idle[0]
        return oldest

    # Idle workers

    def idle(self, worker: Worker) -> None:
        """``worker`` has just become idle: it is retired if it stays so for ``idle_timeout``."""
        loop = asyncio.get_running_loop()
        worker.idle_since = loop.time()
        if self._sweep is None and self.idle_timeout > 0:
            self._sweep = loop.call_at(worker.idle_since + self.idle_timeout, self.retire_idle)

    def retire_idle(self, now: float | None = None) -> None:
        """Retire every worker that has been idle for ``idle_timeout`` at ``now``, then set the timer for
        the next one due.

        ``now`` is the event loop's clock unless given: a test may move it on rather than wait.
        """
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        if self.idle_timeout <= 0:
            return
        loop = asyncio.get_running_loop()
        due = (loop.time() if now is None else now) - self.idle_timeout + _TIMER_SLACK
        next_since = math.inf
        for pool in list(self._pools.values()):
            if pool.debugged:
                continue  # a debugger is attached to its worker: it stays until the emulator stops
            while pool.idle and pool.idle[0].idle_since <= due:
                worker = pool.idle.pop(0)
                log.info(
                    "function %r: worker pid %s retired after %s idle, as Lambda reclaims idle execution "
                    "environments; the next request starts a fresh one",
                    worker.function.name,
                    worker.pid,
                    describe_seconds(self.idle_timeout),
                )
                worker.retire()
            if pool.idle:
                next_since = min(next_since, pool.idle[0].idle_since)
        if next_since < math.inf:
            self._sweep = loop.call_at(next_since + self.idle_timeout, self.retire_idle)

    def close(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self._starved.clear()
