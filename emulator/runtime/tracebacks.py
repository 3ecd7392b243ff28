"""Tracebacks that start at the user's code, as Lambda's ``stackTrace`` does.

A handler's exception passes through frames that are not the user's before it reaches one that
is: the runtime's own call of the handler, and for an error at import time ``importlib``'s
machinery. A user reading a traceback in the log, in ``Invocation.traceback`` or in a test's report
wants the first line to be theirs, so those leading frames are dropped. Only the leading ones: a
frame of the runtime further in (the handler called ``context.get_remaining_time_in_millis()``)
is part of what happened.

Shared by both isolations, by ``validate`` and by ``serve``'s start-up check, so an error reads the
same wherever it is shown.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import runpy
import sysconfig
import threading
import traceback
from types import TracebackType


def _directory(module_file: str | None) -> list[str]:
    if module_file is None:
        return []
    folder = os.path.dirname(os.path.abspath(module_file))
    return [os.path.join(folder, ""), os.path.join(os.path.realpath(folder), "")]


#: apig-emu's own package, the whole of it: a handler's first frame is never in it.
_OWN = tuple(_directory(os.path.dirname(__file__)))


def _origin(name: str) -> str | None:
    """Where module ``name`` is, found without importing it: a worker process never needs ``asyncio``,
    whose import alone was a third of a worker's start-up."""
    spec = importlib.util.find_spec(name)
    return None if spec is None else spec.origin


#: The standard library's machinery a call or an import passes through on its way to user code.
_MACHINERY_DIRS = tuple(
    prefix for name in ("importlib", "asyncio", "concurrent.futures") for prefix in _directory(_origin(name))
)
_MACHINERY_FILES = frozenset(
    path
    for module in (threading, runpy)
    for path in (os.path.abspath(module.__file__ or ""), os.path.realpath(module.__file__ or ""))
)


def is_machinery(filename: str) -> bool:
    """Whether a frame in ``filename`` belongs to the runtime rather than to the function's code."""
    if filename.startswith("<frozen importlib"):
        return True
    path = os.path.abspath(filename)
    return path.startswith(_OWN) or path.startswith(_MACHINERY_DIRS) or path in _MACHINERY_FILES


def user_traceback(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` from its first frame that is the user's (``None`` when no frame is)."""
    while tb is not None and is_machinery(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb


def user_frames(exc: BaseException) -> traceback.StackSummary:
    return traceback.extract_tb(user_traceback(exc.__traceback__))


def format_user_exception(exc: BaseException) -> str:
    """The exception as Python prints it, chained causes included, from the user's first frame.

    Without any frame of the user's (a syntax error, a module not found) it is the exception's own
    lines: for a ``SyntaxError`` they point at the file, line and column.
    """
    trimmed = traceback.TracebackException(type(exc), exc, user_traceback(exc.__traceback__))
    return "".join(trimmed.format())


def innermost(exc: BaseException) -> str | None:
    """``file:line`` where the exception was raised in the user's code, if it was."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = user_frames(exc)
    # The innermost frame of the user's own code: not the library it called into (``os.environ``).
    own = [frame for frame in frames if not is_library(frame.filename)] or frames
    return f"{own[-1].filename}:{own[-1].lineno}" if own else None


@functools.cache
def _libraries() -> tuple[str, ...]:
    """Where installed code lives: the standard library and site-packages, as opposed to a function's code.

    Asked for on the first error that needs it, not at import: ``get_path`` loads the interpreter's
    build configuration, which a worker that never sees an error would load for nothing. ``sysconfig``
    itself is imported with this module, before a worker puts the function's code on the path.
    """
    paths = {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(os.path.join(os.path.realpath(path), "") for path in paths)


def is_library(filename: str) -> bool:
    """Whether a frame is in installed code (the standard library, site-packages) or the runtime's."""
    return (
        filename.startswith("<")
        or os.path.realpath(filename).startswith(_libraries())
        or is_machinery(filename)
    )
