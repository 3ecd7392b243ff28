"""``serve``'s log writer: every line of the log, batched per event-loop turn, written without ever
holding up a request.

``logging``'s stream handler writes and flushes each record on the thread that logs it: four writes
a request, and a terminal that scrolls slower than the traffic, or a pipe nobody reads, stops the
event loop and every request with it. Here:

- Every line, the gateway's own (``emulator.exchange_log`` formats them) and every ``logging``
  record (this is a ``logging.Handler``), joins one list under one lock, so lines keep the order in
  which they were produced, whichever thread produced them.
- On an event loop's thread, the first line of a loop turn schedules a flush for the end of the turn
  (``loop.call_soon``): the turn's lines go out in one write. A warning or an error (and a failed
  invocation's lines) goes out at once, with every line before it, so that it is in the log before
  the answer it explains. Where no loop
  runs (start-up, shutdown, other threads), a line goes out at once, as ``logging`` would write it.
- Where the lines go decides who writes them. A regular file, or a device such as ``/dev/null``,
  takes a write at once: the flush writes it itself. A terminal, a pipe or a socket can make a write
  wait for its reader: there a writer thread writes, from a queue of at most ``QUEUE_LIMIT`` bytes,
  started with the first flush from an event loop; once woken, it lets lines gather for
  ``GATHER_S``, so that at load one wake-up and one write serve many turns (a wake-up per turn cost
  the event loop as much again as the lines). When the reader falls that far behind, further
  lines are dropped and counted, and the log says so in one line, in their place, once there is room
  again: memory stays bounded, no line is reordered, and no request waits for the terminal.
- ``stop`` (``serve``, when the server has stopped, even by an exception) and ``logging.shutdown``
  (at exit, and before ``serve``'s own ``os._exit``) write what is pending, and let the writer thread
  finish the queue as long as its reader keeps taking lines.
"""

from __future__ import annotations

import collections
import logging
import os
import select
import stat
import sys
import threading
import time
from asyncio import AbstractEventLoop, get_running_loop
from collections.abc import Callable
from typing import TextIO

#: Bytes the writer thread may hold for a reader slower than the traffic, before lines are dropped.
QUEUE_LIMIT = 4 * 1024 * 1024
#: How long the writer thread lets lines gather once woken: unnoticeable on a terminal, and at load
#: it makes one wake-up and one write of many loop turns' lines.
GATHER_S = 0.005
#: At shutdown, how long the writer thread may go without getting a write through before the rest of
#: its queue is given up (a pipe nobody reads would otherwise keep the process from ever exiting).
STALL_S = 2.0


def running_loop() -> AbstractEventLoop | None:
    try:
        return get_running_loop()
    except RuntimeError:
        return None


def dropped_notice(count: int) -> bytes:
    """The line that stands where lines were dropped."""
    text = f"apig-emu: {count} log line(s) dropped here: the log's reader did not keep up with the requests"
    return (text + "\n").encode()


def never_waits(fd: int) -> bool:
    """Whether a write to ``fd`` completes at once: a regular file or a device that is not a terminal."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return True  # writes will fail at once too, and be counted as lost
    return stat.S_ISREG(mode) or (stat.S_ISCHR(mode) and not os.isatty(fd))


class _WriterThread:
    """Writes the queued chunks in order on a thread of its own, holding at most ``limit`` bytes."""

    def __init__(self, write: Callable[[bytes], None], limit: int) -> None:
        self._write = write
        self._limit = limit
        self._chunks: collections.deque[bytes] = collections.deque()
        #: Bytes queued or being written.
        self._held = 0
        self._dropped = 0
        self._idle = False
        self._stopping = False
        self._draining = 0
        #: ``time.monotonic()`` of the last write that went through, for ``drain``.
        self._progress = 0.0
        # Reentrant: ``logging.shutdown`` may run in a signal handler that interrupted ``put``.
        self._cond = threading.Condition(threading.RLock())
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def put(self, data: bytes) -> None:
        with self._cond:
            if self._held + len(data) > self._limit:
                self._dropped += data.count(b"\n")
                return
            self._queue_notice()
            self._chunks.append(data)
            self._held += len(data)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="apig-emu log writer", daemon=True)
                self._thread.start()
            elif self._idle:
                self._cond.notify()

    def _queue_notice(self) -> None:
        """The count of lines dropped, where they would have been, once there is room for more."""
        if self._dropped:
            notice = dropped_notice(self._dropped)
            self._dropped = 0
            self._chunks.append(notice)
            self._held += len(notice)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._chunks and not self._stopping:
                    self._idle = True
                    self._cond.wait()
                self._idle = False
                if not self._chunks:
                    return
            if not self._stopping and not self._draining:
                # Let a few loop turns' lines gather: one wake-up and one write for them all, where a
                # wake-up per turn would take the event loop's time (the notify, the GIL handed over).
                time.sleep(GATHER_S)
            with self._cond:
                data = b"".join(self._chunks)
                self._chunks.clear()
            self._write(data)
            with self._cond:
                self._held -= len(data)
                self._progress = time.monotonic()
                if self._draining:
                    self._cond.notify_all()

    def drain(self) -> bool:
        """Wait until the queue is written; ``False`` once ``STALL_S`` pass without a write going through."""
        with self._cond:
            self._queue_notice()
            if self._chunks and self._idle:
                self._cond.notify()
            self._draining += 1
            self._progress = time.monotonic()
            try:
                while self._held and time.monotonic() - self._progress < STALL_S:
                    self._cond.wait(STALL_S / 4)
            finally:
                self._draining -= 1
            return not self._held

    def stop(self) -> bool:
        """Drain, then end the thread; ``False`` if the reader stalled (the thread is left to its write)."""
        thread = self._thread
        if thread is None:
            return True
        if not self.drain():
            return False
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        thread.join(STALL_S)
        with self._cond:
            self._thread = None
            self._stopping = False
        return True


class LogWriter(logging.Handler):
    """The log's one writer: ``add`` for lines formatted elsewhere, ``emit`` for ``logging``'s records.

    ``fd`` is where the lines go; ``warnings`` is where the writer tells of a write that failed (a
    full disk), once, and once more when writing works again; ``None`` for stderr itself.
    """

    def __init__(self, fd: int, *, encoding: str = "utf-8", warnings: TextIO | None = None) -> None:
        super().__init__()
        self.fd = fd
        self.encoding = encoding
        self.warnings = warnings
        #: Lines lost to failed writes since writing last worked; 0 while all is well.
        self.lost = 0
        self._pending: list[str] = []
        #: The loop whose end-of-turn flush is scheduled, if any.
        self._turn: AbstractEventLoop | None = None
        self._queue = None if never_waits(fd) else _WriterThread(self._write, QUEUE_LIMIT)
        #: Set once serving is over: from then on, lines are written where they are produced.
        self._stopped = False
        #: The writer thread's reader stopped taking lines at shutdown: later lines go nowhere.
        self._stalled = False

    def add(self, text: str, *, at_once: bool = False) -> None:
        """Lines, each ending with a newline, to write after the lines already added."""
        loop = running_loop()
        with self.lock:  # type: ignore[union-attr]  # logging.Handler creates it in __init__
            self._pending.append(text)
            if loop is None or at_once:
                self._flush(from_loop=loop is not None)
            elif self._turn is not loop:
                self._turn = loop
                loop.call_soon(self._end_turn, loop)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record) + "\n"
        except Exception:
            self.handleError(record)
            return
        self.add(text, at_once=record.levelno >= logging.WARNING)

    def _end_turn(self, loop: AbstractEventLoop) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._turn is loop:
                self._turn = None
            self._flush(from_loop=True)

    def _flush(self, *, from_loop: bool) -> None:
        """Hand the pending lines on; the caller holds the lock, which keeps writes in order."""
        if not self._pending:
            return
        data = "".join(self._pending).encode(self.encoding, "backslashreplace")
        self._pending.clear()
        queue = self._queue
        if queue is not None and (queue.running or (from_loop and not self._stopped)):
            queue.put(data)
        elif not self._stalled:
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self.fd < 0:
            return  # closed
        try:
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(self.fd, view) :]
                except BlockingIOError:
                    # A descriptor someone else made non-blocking: wait until it takes more.
                    select.select([], [self.fd], [])
        except OSError as exc:
            if not self.lost:
                self._warn(
                    f"apig-emu: cannot write the log to {self.destination} ({exc.strerror or exc}): requests "
                    "are still answered, but log lines are lost until writing works again"
                )
            self.lost += data.count(b"\n")
            return
        if self.lost:
            self._warn(
                f"apig-emu: writing the log to {self.destination} works again ({self.lost} line(s) lost)"
            )
            self.lost = 0

    @property
    def destination(self) -> str:
        return "stderr" if self.fd == 2 else f"file descriptor {self.fd}"

    def _warn(self, text: str) -> None:
        if self.warnings is None:
            return  # the log's own destination failed: nobody is left to tell
        try:
            self.warnings.write(text + "\n")
            self.warnings.flush()
        except (OSError, ValueError):
            pass

    def flush(self) -> None:
        """Write what is pending, and wait while a writer thread's reader takes its queue."""
        with self.lock:  # type: ignore[union-attr]
            self._flush(from_loop=False)
        if self._queue is not None and self._queue.running and not self._stalled and not self._queue.drain():
            self._stalled = True

    def stop(self) -> None:
        """Serving is over: write everything, and from now on write each line where it is produced.

        A writer thread gets its queue through as long as its reader keeps taking lines; if it stops
        taking them for ``STALL_S``, the rest is given up, and so are later lines (a pipe nobody reads
        would otherwise keep the process from exiting).
        """
        with self.lock:  # type: ignore[union-attr]
            self._stopped = True
            self._turn = None
            self._flush(from_loop=False)
        if self._queue is not None and not self._stalled and not self._queue.stop():
            self._stalled = True

    def close(self) -> None:
        self.stop()
        super().close()


class LogFileHandler(LogWriter):
    """``serve --log-file``: the log appended to a file, told on stderr if writing it fails.

    Raises ``OSError`` here, at start-up, if the file cannot be opened at all.
    """

    def __init__(self, path: str, *, warnings: TextIO | None = None) -> None:
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        # The stderr of the time it was made: later on, thread isolation routes ``sys.stderr`` to
        # whichever handler is running.
        super().__init__(fd, warnings=warnings or sys.stderr)

    @property
    def destination(self) -> str:
        return self.path

    def close(self) -> None:
        super().close()
        with self.lock:  # type: ignore[union-attr]
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
