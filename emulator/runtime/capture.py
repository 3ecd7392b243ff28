"""Per-invocation capture of a handler's output when several run as threads of one process.

``sys.stdout``/``sys.stderr`` are wrapped once by a stream that sends each write to the buffer of
the invocation running on the current thread, or to the original stream otherwise. A root logging
handler formats records as Lambda's runtime does (``[LEVEL]\\t<time>Z\\t<request id>\\t<message>``)
for threads that are inside an invocation, and ignores all others.

Two calls rather than a context manager, because the execution environment both isolations share
(``environment.py``) asks for them as two of its steps: ``begin`` and ``output``.

What an invocation keeps is capped (``output.py``). A handler that timed out is answered while its
thread runs on, since a thread cannot be stopped: ``answer`` hands its timeout the output written so
far, and from then on the thread's output is only counted, so that one stuck in a print loop costs
nothing but a line in the log once it returns.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from typing import TextIO

from emulator.runtime.output import Allowance, lines_of, utf8_size

log = logging.getLogger("apig_emu.runtime")

_local = threading.local()


#: Writes an invocation keeps apart before they are joined into one part. Each write is a string of
#: its own, about 50 bytes before its text: a handler writing two characters at a time held 30 MB for
#: the megabyte it may keep, times every invocation doing so at once. Joined every so often, the parts
#: cost at most what they hold plus this many strings.
JOIN_EVERY = 1024


class _Capture(Allowance):
    """One invocation's output, written by its thread only, and answered by its thread or its timeout.

    No lock: the thread writes, the timeout (on the event loop) reads. Whichever of the two takes it
    from ``_running`` answers with it; the timeout notes how many parts it took, so that what the
    thread appended meanwhile counts as written after the answer. (A write that races the timeout
    and joins parts may shift that count by its own bytes: the warning's figure, nothing kept.)
    """

    __slots__ = ("answered", "function", "joined", "late", "parts", "request_id")

    def __init__(self, request_id: str, function: str) -> None:
        super().__init__()
        self.request_id = request_id
        self.function = function
        self.parts: list[str] = []
        #: How many of ``parts``, from the first, are writes already joined (``JOIN_EVERY`` each).
        self.joined = 0
        #: How many parts its timeout answered with; ``None`` until then.
        self.answered: int | None = None
        #: Bytes written once its timeout had answered.
        self.late = 0

    def write(self, text: str) -> None:
        size = len(text) if text.isascii() else utf8_size(text)
        if self.answered is not None:
            self.late += size
        elif not size:
            return  # ``print(end="")`` in a loop would fill the list with nothing
        elif size <= self.room:  # admit's own test, inline: this runs for every print
            self.room -= size
            parts = self.parts
            parts.append(text)
            if len(parts) - self.joined >= JOIN_EVERY:
                parts[self.joined :] = ["".join(parts[self.joined :])]
                self.joined += 1
        elif kept := self.admit(text):
            self.parts.append(kept)

    def lines(self, parts: list[str]) -> list[str]:
        if self.room == self.limit:  # nothing written, nothing dropped: the common case, for nothing
            return []
        return lines_of("".join(parts), self.dropped)


#: Invocations being captured, by request id, for ``answer``.
_running: dict[str, _Capture] = {}


def _active() -> _Capture | None:
    return getattr(_local, "capture", None)


class _RoutedStream(io.TextIOBase):
    def __init__(self, original: TextIO) -> None:
        self.original = original

    def write(self, text: str) -> int:
        capture = _active()
        if capture is None:
            return self.original.write(text)
        capture.write(text)
        return len(text)

    def flush(self) -> None:
        if _active() is None:
            self.original.flush()

    def isatty(self) -> bool:
        return self.original.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", "utf-8")


class _LambdaLogHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(LambdaFormatter())

    def filter(self, record: logging.LogRecord) -> bool:
        return _active() is not None

    def emit(self, record: logging.LogRecord) -> None:
        capture = _active()
        if capture is not None:
            record.aws_request_id = capture.request_id
            capture.write(self.format(record) + "\n")


class LambdaFormatter(logging.Formatter):
    """Lambda's Python runtime's root log format; records need an ``aws_request_id`` attribute."""

    converter = time.gmtime  # type: ignore[assignment]  # typeshed's signature is narrower than gmtime's

    def __init__(self) -> None:
        super().__init__(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
        )


_handler = _LambdaLogHandler()
_install_lock = threading.Lock()


def _install() -> None:
    """Wrap the current streams, again if something (pytest's capture) replaced them since."""
    with _install_lock:
        if not isinstance(sys.stdout, _RoutedStream):
            sys.stdout = _RoutedStream(sys.stdout)
        if not isinstance(sys.stderr, _RoutedStream):
            sys.stderr = _RoutedStream(sys.stderr)
        root = logging.getLogger()
        if _handler not in root.handlers:
            root.addHandler(_handler)


def start_capture(request_id: str, function: str) -> None:
    """Collect what the current thread prints and logs from now until ``stop_capture``."""
    _install()
    _local.capture = _running[request_id] = _Capture(request_id, function)


def stop_capture() -> list[str]:
    """What the current thread printed and logged since ``start_capture``, a line each.

    Nothing, if its timeout answered meanwhile (``answer``): what it wrote since is said in one line of
    the emulator's log instead.
    """
    capture = _active()
    if capture is None:
        return []
    _local.capture = None
    if _running.pop(capture.request_id, None) is not None:
        return capture.lines(capture.parts)
    taken = capture.answered
    late = capture.late
    if taken is not None:  # else the timeout is answering right now, with all there is
        late += sum(utf8_size(part) for part in capture.parts[taken:])
    if late:
        log.warning(
            "function %r: invocation %s, answered at its timeout, ran on and wrote %s more bytes of "
            "output before its handler returned: dropped (thread isolation cannot stop a handler)",
            capture.function,
            capture.request_id,
            f"{late:,}",
        )
    return []


def answer(request_id: str) -> list[str]:
    """The invocation is answered without its handler (a timeout): its output so far, a line each.

    From now on what its thread writes is counted, not kept. Nothing, if the invocation has not
    started or has ended.
    """
    capture = _running.pop(request_id, None)
    if capture is None:
        return []
    parts = capture.parts[: len(capture.parts)]
    capture.answered = len(parts)
    return capture.lines(parts)
