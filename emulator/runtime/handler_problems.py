"""Why a handler does not load, found out once for ``validate``, ``serve`` and the pytest plugin.

The diagnosis runs where the import runs (this process under thread isolation, a throwaway one
under process isolation) and travels as JSON, so both isolations tell the same story. It keeps the
user's side only: Lambda's error, the user's own frames, and what the error shows the fix to be.
"""

from __future__ import annotations

import difflib
import inspect
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from emulator.lambda_function import Function
from emulator.runtime.handlers import HandlerLoadError, load_handler
from emulator.runtime.outcomes import exit_reason, exit_status
from emulator.runtime.tracebacks import user_frames

#: Folders a search for a misplaced handler module never enters: tools', caches, virtualenvs.
_SKIPPED = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages", "build", "dist"})
#: How deep under the code root, and how many folders at most, that search looks: cheap on any tree.
_SEARCH_DEPTH = 3
_SEARCH_FOLDERS = 2000


@dataclass(frozen=True)
class HandlerProblem:
    """A handler that does not load: what its routes answer, and what the user can do about it."""

    #: Lambda's ``errorType: errorMessage``: the init error the function's routes answer with.
    error: str
    #: The user's own frames (or the syntax error's lines), as Python prints them.
    trace: tuple[str, ...] = ()
    #: The fix, when the error shows it and it does not depend on the caller's setting.
    hint: str = ""
    #: The handler's top-level package or module, when the code root does not hold it.
    missing: str = ""
    code_root: str = ""
    #: Folders near the code root that do hold the handler's module: the code root it was meant to be.
    elsewhere: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HandlerProblem:
        return cls(
            error=str(data["error"]),
            trace=tuple(data.get("trace", ())),
            hint=str(data.get("hint", "")),
            missing=str(data.get("missing", "")),
            code_root=str(data.get("code_root", "")),
            elsewhere=tuple(data.get("elsewhere", ())),
        )


def diagnose(function: Function) -> HandlerProblem | None:
    """Import the handler here, as an invocation would; ``None`` if it loads.

    What Lambda's runtime would not survive (``sys.exit``, any ``BaseException`` that is not an
    ``Exception``) is reported too, rather than ending the check, so that both isolations tell it.
    """
    try:
        load_handler(function)
    except HandlerLoadError as error:
        return _problem(function, error)
    except BaseException as exc:
        return ended_runtime(exc)
    return None


def ended_runtime(exc: BaseException) -> HandlerProblem:
    """The import ended the runtime's process, as ``import_check`` words a crash, with where and why."""
    status = exit_status(exc)
    frames = user_frames(exc)
    trace = (
        *(("Traceback (most recent call last):", *_lines(frames.format())) if frames else ()),
        *_lines(traceback.format_exception_only(type(exc), exc)),
    )
    what = (
        "sys.exit() ends Lambda's runtime"
        if isinstance(exc, SystemExit)
        else f"{type(exc).__name__} is not an Exception, the only kind Lambda's runtime catches: it ends the runtime"
    )
    return HandlerProblem(
        f"importing its handler ended the process ({exit_reason(status)})",
        trace,
        hint=f"{what} before it serves, so every request gets Runtime.ExitError; raise an Exception "
        "instead to fail the import with an error of your own",
    )


def check_handlers(functions: Sequence[Function], *, isolation: str) -> dict[str, HandlerProblem]:
    """Each function's problem, by name, checked where the isolation runs handlers."""
    if isolation == "thread":
        from emulator.runtime.threads import check_handlers as check_here

        return check_here(functions)
    from emulator.runtime.import_check import check_handlers as check_apart

    return check_apart(functions)


def _problem(function: Function, error: HandlerLoadError) -> HandlerProblem:
    summary = f"{error.error_type}: {error.message}"
    cause = error.__cause__
    if error.error_type == "Runtime.HandlerNotFound":
        return HandlerProblem(summary, hint=_handler_names(function))
    if isinstance(cause, SyntaxError):
        lines = traceback.format_exception_only(type(cause), cause)[:-1]
        return HandlerProblem(summary, tuple(_lines(lines)))
    frames = user_frames(cause) if cause else traceback.StackSummary()
    # Only the user's frames, under the heading Python prints: none at all when the handler's own
    # module was not found, since then no user code ran.
    trace = ("Traceback (most recent call last):", *_lines(frames.format())) if frames else ()
    if isinstance(cause, ModuleNotFoundError) and cause.name:
        importer = Path(frames[-1].filename) if frames else None
        return _not_found(function, summary, trace, cause.name, importer)
    return HandlerProblem(summary, trace)


def _not_found(
    function: Function, summary: str, trace: tuple[str, ...], name: str, importer: Path | None
) -> HandlerProblem:
    module = function.module_name
    code_root = Path(function.code_dir)
    if not (module == name or module.startswith(name + ".")):
        return HandlerProblem(summary, trace, hint=_missing_import(name, code_root, importer))
    package, _, leaf = name.rpartition(".")
    if package:
        return HandlerProblem(summary, trace, hint=_no_such_module(package, leaf))
    parts = module.split(".")
    hint = ""
    if parts[0] == code_root.name and len(parts) > 1 and _holds(code_root.parent, parts):
        hint = (
            f"the code root is the folder '{code_root.name}' itself, so the handler is named from inside "
            f"it: '{'.'.join(parts[1:])}.{function.function_attr}'"
        )
    return HandlerProblem(
        summary, trace, hint, missing=name, code_root=str(code_root), elsewhere=_find(code_root, parts)
    )


def _missing_import(name: str, code_root: Path, importer: Path | None) -> str:
    """A module the handler's code imports: a sibling imported as if it were at the code root, or not installed."""
    beside = importer.parent if importer is not None else code_root
    if beside != code_root and beside.is_relative_to(code_root) and _holds(beside, name.split(".")):
        package = ".".join(beside.relative_to(code_root).parts)
        return (
            f"'{name}' is next to {importer}, but imports start at the code root, {code_root}, "
            f"as on Lambda: import it as '{package}.{name}'"
        )
    return (
        f"'{name}' is neither under the code root, {code_root}, nor installed for the Python that "
        f"runs apig-emu ({sys.executable})"
    )


def _no_such_module(package: str, leaf: str) -> str:
    """``handlers.itemz``: the package is there, the module is not; name the ones it has."""
    loaded = sys.modules.get(package)
    folders = [str(folder) for folder in getattr(loaded, "__path__", ())]
    modules = sorted(
        {
            entry.removesuffix(".py")
            for folder in folders
            for entry in _listing(folder)
            if (entry.endswith(".py") and entry != "__init__.py")
            or os.path.isdir(os.path.join(folder, entry))
            if not entry.startswith((".", "__pycache__"))
        }
    )
    where = " and ".join(folders) or "its folder"
    close = difflib.get_close_matches(leaf, modules, n=1)
    if close:
        return f"the package '{package}' ({where}) has no module '{leaf}'; did you mean '{close[0]}'?"
    return f"the package '{package}' ({where}) has no module '{leaf}'"


def _handler_names(function: Function) -> str:
    """``Handler 'hadler' missing``: the module's functions, and the one that was probably meant."""
    module = sys.modules.get(function.module_name)
    names = sorted(
        name
        for name, value in vars(module or object()).items()
        if inspect.isfunction(value) and not name.startswith("_") and value.__module__ == function.module_name
    )
    if not names:
        return f"'{function.module_name}' defines no functions"
    close = difflib.get_close_matches(function.function_attr, names, n=1)
    if close:
        return f"did you mean '{function.module_name}.{close[0]}'?"
    return f"'{function.module_name}' defines: {', '.join(names)}"


def _holds(folder: Path, parts: Sequence[str]) -> bool:
    """Whether ``folder`` holds the module ``parts`` names, as ``package/module.py`` or a package."""
    path = folder.joinpath(*parts)
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _find(code_root: Path, parts: Sequence[str]) -> tuple[str, ...]:
    """Folders under the code root (or its parent) that hold the module: a code root off by a level."""
    found: list[str] = []
    if _holds(code_root.parent, parts) and code_root.parent != code_root:
        found.append(str(code_root.parent))
    visited = 0
    level = [code_root]
    for _ in range(_SEARCH_DEPTH):
        below: list[Path] = []
        for folder in level:
            for entry in _listing(str(folder)):
                child = folder / entry
                if entry.startswith(".") or entry in _SKIPPED or not child.is_dir():
                    continue
                if (child / "pyvenv.cfg").exists():
                    continue  # a virtualenv: its packages are not the user's code
                visited += 1
                if visited > _SEARCH_FOLDERS:
                    return tuple(found)
                if _holds(child, parts):
                    found.append(str(child))
                below.append(child)
        level = below
    return tuple(found)


def _listing(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _lines(chunks: Sequence[str]) -> list[str]:
    return [line for chunk in chunks for line in chunk.rstrip("\n").split("\n")]
