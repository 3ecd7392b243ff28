"""Importing a function's handler the way Lambda's Python runtime does, with its error types and texts."""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.model import Function
from emulator.runtime.shadowing import clash
from emulator.runtime.tracebacks import format_user_exception, innermost, user_frames

Handler = Callable[[Any, Any], Any]


@dataclass
class HandlerLoadError(Exception):
    """Lambda's init failure: ``Runtime.ImportModuleError`` and its siblings, with where it happened."""

    error_type: str
    message: str
    #: Lambda's ``stackTrace``, which for an error at import time keeps ``importlib``'s frames.
    stack_trace: list[str]
    #: ``file:line`` of the fault in the user's code when Python knows it, for the emulator's own log.
    where: str | None = None
    #: The user's traceback, from their first frame (``None`` when the error has none to show).
    traceback_text: str | None = None

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.error_type}: {self.message}{where}"


def _user_traceback(exc: BaseException) -> str | None:
    """The traceback worth showing: one with a frame of the user's, or a syntax error's location."""
    if isinstance(exc, SyntaxError) or user_frames(exc):
        return format_user_exception(exc)
    return None


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
    shadowed = clash(function.code_dir)
    if shadowed is not None:
        raise HandlerLoadError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {shadowed}", []
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
            innermost(exc),
            _user_traceback(exc),
        ) from exc
    except ImportError as exc:
        raise HandlerLoadError(
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': {exc}",
            [],
            innermost(exc),
            _user_traceback(exc),
        ) from exc
    except Exception as exc:
        # Lambda reports any other exception raised at import time under its own type, and its
        # stackTrace keeps the import machinery's frames; only this function's frame is dropped.
        raise HandlerLoadError(
            type(exc).__name__,
            str(exc),
            traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:]),
            innermost(exc),
            _user_traceback(exc),
        ) from exc
    handler = getattr(module, function_attr, None)
    if handler is None:
        raise HandlerLoadError(
            "Runtime.HandlerNotFound", f"Handler '{function_attr}' missing on module '{module_name}'", []
        )
    return handler  # type: ignore[no-any-return]
