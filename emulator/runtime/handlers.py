"""Importing a function's handler the way Lambda's Python runtime does, with its error types and texts."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.lambda_function import Function
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


def put_on_path(function: Function) -> None:
    """The function's code first, then its layers, as Lambda orders ``/var/task`` and ``/opt/python``.

    In one process (thread isolation, the import check) two functions' code roots may each hold a
    module of the same name (SAM's functions are each an ``app.py`` in a folder of their own); a
    module imported from another function's root is forgotten first, so this function imports its
    own. The first function keeps the module it imported: its handler holds it.
    """
    _forget_other_roots(function)
    for layer in reversed(function.layer_paths):
        ensure_on_path(str(layer))
    code_dir = str(function.code_dir)
    if code_dir in sys.path:
        sys.path.remove(code_dir)
    sys.path.insert(0, code_dir)


def _forget_other_roots(function: Function) -> None:
    top = function.module_name.split(".")[0]
    module = sys.modules.get(top)
    if module is None:
        return
    origin = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", ())), None)
    if origin is None:
        return
    roots = [os.path.realpath(root) for root in (function.code_dir, *function.layer_paths)]
    found = os.path.realpath(origin)
    if any(found.startswith(os.path.join(root, "")) for root in roots):
        return
    if found.startswith(tuple(os.path.join(os.path.realpath(prefix), "") for prefix in _INSTALLED)):
        return  # the standard library's or an installed package's: not another function's code
    for name in [name for name in sys.modules if name == top or name.startswith(top + ".")]:
        del sys.modules[name]


_INSTALLED = {sys.prefix, sys.base_prefix, sys.exec_prefix}


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
    put_on_path(function)
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
