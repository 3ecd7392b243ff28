"""Importing a function's handler the way Lambda's Python runtime does, with its error types and texts."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import emulator
from emulator.model import Function

#: Frames in here are the import machinery's or the emulator's, never the user's.
_NOT_USERS = tuple(
    os.path.join(os.path.dirname(os.path.abspath(package.__file__ or "")), "")
    for package in (importlib, emulator)
)

Handler = Callable[[Any, Any], Any]


@dataclass
class HandlerLoadError(Exception):
    """Lambda's init failure: ``Runtime.ImportModuleError`` and its siblings, with where it happened."""

    error_type: str
    message: str
    stack_trace: list[str]
    #: ``file:line`` of the fault when Python knows it, for the emulator's own log.
    where: str | None = None

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.error_type}: {self.message}{where}"


def user_frames(tb: TracebackType | None) -> traceback.StackSummary:
    """The frames of an import's traceback that are the user's: no importlib, no emulator.

    What a user reads to fix their code, and what Lambda's ``stackTrace`` holds (its runtime's
    frames are not in it).
    """
    return traceback.StackSummary.from_list(
        [
            frame
            for frame in traceback.extract_tb(tb)
            if not frame.filename.startswith(("<frozen ", *_NOT_USERS))
        ]
    )


def _innermost(tb: TracebackType | None) -> str | None:
    frames = user_frames(tb)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def ensure_on_path(code_dir: str) -> None:
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)


def load_handler(function: Function) -> Handler:
    """Import ``function.handler``; errors carry Lambda's ``errorType`` and ``errorMessage``."""
    module_name, function_attr = function.module_name, function.function_attr
    if not module_name:
        raise HandlerLoadError(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{function.handler}': not enough values to unpack (expected 2, got 1)",
            [],
        )
    ensure_on_path(str(function.code_dir))
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise HandlerLoadError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {exc}",
            trace,
            f"{exc.filename}:{exc.lineno}",
        ) from exc
    except ImportError as exc:
        raise HandlerLoadError(
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': {exc}",
            [],
            _innermost(exc.__traceback__),
        ) from exc
    except Exception as exc:
        # Lambda reports any other exception raised at import time under its own type.
        raise HandlerLoadError(
            type(exc).__name__,
            str(exc),
            user_frames(exc.__traceback__).format(),
            _innermost(exc.__traceback__),
        ) from exc
    handler = getattr(module, function_attr, None)
    if handler is None:
        raise HandlerLoadError(
            "Runtime.HandlerNotFound", f"Handler '{function_attr}' missing on module '{module_name}'", []
        )
    return handler  # type: ignore[no-any-return]
