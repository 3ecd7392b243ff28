"""The threads that thread isolation runs handlers on: a small pool that answers on the event loop.

``run_in_executor`` builds a ``concurrent.futures.Future`` (with its condition variable) and an
asyncio future chained to it for every call; a handler that returns in microseconds pays more for
that than for its own run. Here a job is a plain callable on one queue, and the thread that ran it
hands the result straight to the event loop's future with ``call_soon_threadsafe``. Idle threads wait
for the next job, as ``ThreadPoolExecutor``'s do.

The pool has no size of its own: a job always starts at once, on an idle thread or a new one, so no
job ever waits behind another that cannot end (a handler stuck past its timeout). How many run is
the invoker's to bound: thread isolation lets each function hold at most its ``concurrency``
(``threads.py``), so the threads number at most the sum of the functions' concurrency.

The count of idle threads lives on the event loop's side only, never under a lock that the handler
threads share: a thread preempted while holding such a lock would stall the event loop on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: A job: what to run on a thread, and what to do instead if the pool shuts down first.
_Job = tuple[Callable[[], None], Callable[[], None]]
_Jobs = queue.SimpleQueue[_Job | None]


class HandlerThreads:
    def __init__(self, *, name: str = "apig-emu-handler") -> None:
        self._name = name
        #: Jobs; ``None`` tells one thread to exit. The threads hold this queue, never the pool.
        self._jobs: _Jobs = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        #: Threads whose last job was answered and that no job has claimed since.
        self._idle = 0
        self._closed = False
        # Shut down, dropped or at exit, the idle threads end, as ``ThreadPoolExecutor``'s do.
        self._stop = weakref.finalize(self, _stop_threads, self._jobs, self._threads)
        _POOLS.add(self)

    def run(
        self,
        future: asyncio.Future[T],
        finished: Callable[[], None],
        function: Callable[..., T],
        *args: Any,
    ) -> None:
        """``function(*args)`` on a thread, starting now; ``future``, of the running loop, gets its result.

        A future settled meanwhile (by a timeout, or cancelled) does not stop the call, since a thread
        cannot be stopped: its result is dropped. ``finished`` runs on the loop once the thread is done
        with the call, whatever became of the future: the moment the call stops using a thread.
        """
        loop = asyncio.get_running_loop()

        def deliver(*callback: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(*callback)

        def job() -> None:
            try:
                result = function(*args)
            except BaseException as exc:
                deliver(self._settle, future, finished, None, exc)
            else:
                deliver(self._settle, future, finished, result, None)

        self._submit((job, lambda: deliver(future.cancel)))

    def _submit(self, job: _Job) -> None:
        if self._closed:
            raise RuntimeError("the handler threads are shut down")
        if self._idle:
            self._idle -= 1
        else:
            thread = threading.Thread(
                target=_work, args=(self._jobs,), name=f"{self._name}_{len(self._threads)}"
            )
            self._threads.append(thread)
            thread.start()
        self._jobs.put(job)

    def _settle(
        self,
        future: asyncio.Future[T],
        finished: Callable[[], None],
        result: T | None,
        error: BaseException | None,
    ) -> None:
        """On the event loop: the job's answer, and its thread counted idle again."""
        self._idle += 1
        if not future.done():  # else cancelled, or settled by a timeout: the answer comes too late
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]
        finished()

    def shutdown(self) -> None:
        """Cancel the jobs no thread has started; threads end once idle (busy ones finish first)."""
        self._closed = True
        self._stop()


def _work(jobs: _Jobs) -> None:
    while (job := jobs.get()) is not None:
        job[0]()
        del job  # its result, while the thread waits for the next


def _stop_threads(jobs: _Jobs, threads: list[threading.Thread]) -> None:
    while True:
        try:
            job = jobs.get_nowait()
        except queue.Empty:
            break
        if job is not None:
            job[1]()
    for _ in threads:
        jobs.put(None)


_POOLS: weakref.WeakSet[HandlerThreads] = weakref.WeakSet()


def _before_exit() -> None:
    """Python joins every thread at exit: idle ones must end, even in a pool nobody shut down."""
    for pool in list(_POOLS):
        pool.shutdown()


# ``atexit`` runs after the threads are joined; this hook (``ThreadPoolExecutor``'s own) runs before.
threading._register_atexit(_before_exit)  # type: ignore[attr-defined]
