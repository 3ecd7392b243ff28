"""The threads that thread isolation runs handlers on: a small pool that answers on the event loop.

``run_in_executor`` builds a ``concurrent.futures.Future`` (with its condition variable) and an
asyncio future chained to it for every call; a handler that returns in microseconds pays more for
that than for its own run. Here a job is a plain callable on one queue, and the thread that ran it
hands the result straight to the event loop's future with ``call_soon_threadsafe``. Threads start on
demand, up to ``max_threads``, and idle ones wait for the next job, as ``ThreadPoolExecutor``'s do.

The count of idle threads is kept on the event loop's side only, never under a lock the handler
threads share: a thread preempted while holding such a lock would stall the event loop on it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[Callable[[], None], Callable[[], None]]


class HandlerThreads:
    def __init__(self, max_threads: int, *, name: str = "apig-emu-handler") -> None:
        self._max = max_threads
        self._name = name
        #: (run, cancel) pairs; ``None`` tells one thread to exit.
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        #: Threads whose last job was answered and that no submitted job has claimed since.
        self._idle = 0
        self._started = 0
        self._closed = False

    def run(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``function(*args)`` on a pool thread; the future, on the running loop, gets its result.

        Cancelling the future does not stop the call (a thread cannot be stopped): its result is dropped.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def deliver(*settle: Any) -> None:
            try:
                loop.call_soon_threadsafe(*settle)
            except RuntimeError:
                pass  # the loop is closed: nobody waits for this answer any more

        def job() -> None:
            try:
                result = function(*args)
            except BaseException as exc:
                deliver(self._settle, future, None, exc)
            else:
                deliver(self._settle, future, result, None)

        self._submit((job, lambda: deliver(future.cancel)))
        return future

    def _submit(self, job: _Job) -> None:
        if self._closed:
            raise RuntimeError("the handler threads are shut down")
        if self._idle:
            self._idle -= 1
        elif self._started < self._max:
            self._started += 1
            threading.Thread(target=self._work, name=f"{self._name}_{self._started - 1}").start()
        self._jobs.put(job)

    def _settle(self, future: asyncio.Future[T], result: T | None, error: BaseException | None) -> None:
        """On the event loop: the job's answer, and its thread counted idle again."""
        self._idle += 1
        if future.done():
            return  # cancelled, or settled by a timeout: the answer comes too late
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job[0]()
            del job

    def shutdown(self) -> None:
        """Cancel the jobs no thread has started and let idle threads exit; busy ones finish first."""
        self._closed = True
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[1]()
        for _ in range(self._started):
            self._jobs.put(None)

