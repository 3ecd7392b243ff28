"""Per-invocation capture of a handler's output when several run as threads of one process.

``sys.stdout``/``sys.stderr`` are wrapped once by a stream that sends each write to the buffer of
the invocation running on the current thread, or to the original stream otherwise. A root logging
handler formats records as Lambda's runtime does (``[LEVEL]\\t<time>Z\\t<request id>\\t<message>``)
for threads that are inside an invocation, and ignores all others.

Two calls rather than a context manager, because the execution environment both isolations share
(``environment.py``) asks for them as two of its steps: ``begin`` and ``output``.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from typing import TextIO

_local = threading.local()


class _Capture:
    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.parts: list[str] = []

    def lines(self) -> list[str]:
        return "".join(self.parts).splitlines()


def _active() -> _Capture | None:
    return getattr(_local, "capture", None)


class _RoutedStream(io.TextIOBase):
    def __init__(self, original: TextIO) -> None:
        self.original = original

    def write(self, text: str) -> int:
        capture = _active()
        if capture is None:
            return self.original.write(text)
        capture.parts.append(text)
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
            capture.parts.append(self.format(record) + "\n")


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


def start_capture(request_id: str) -> None:
    """Collect what the current thread prints and logs from now until ``stop_capture``."""
    _install()
    _local.capture = _Capture(request_id)


def stop_capture() -> list[str]:
    """What the current thread printed and logged since ``start_capture``, a line each."""
    capture = _active()
    _local.capture = None
    return capture.lines() if capture is not None else []
